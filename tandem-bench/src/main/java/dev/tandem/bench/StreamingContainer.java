package dev.tandem.bench;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Executors;

/**
 * The streaming benchmark's container: answers an invocation chunked, as a streaming model does —
 * {@code parts} chunks of {@code bytes} bytes, each flushed as it is written, {@code interval}
 * milliseconds apart; the body says how many ({@code parts=N bytes=N interval=N}, default one part
 * of 64 bytes). Built on the JDK's server, whose chunked writer sends each flush as one chunk.
 */
public final class StreamingContainer {
    private StreamingContainer() {}

    public static void main(String[] args) throws IOException {
        System.setProperty("sun.net.httpserver.nodelay", "true");
        int port = Integer.parseInt(System.getenv().getOrDefault("SAGEMAKER_BIND_TO_PORT", "8080"));
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 256);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/ping", exchange -> {
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.createContext("/invocations", exchange -> {
            String asked = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            int parts = setting(asked, "parts", 1);
            int bytes = setting(asked, "bytes", 64);
            int interval = setting(asked, "interval", 0);
            byte[] part = new byte[bytes];
            Arrays.fill(part, (byte) 'x');
            exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                for (int i = 0; i < parts; i++) {
                    if (interval > 0 && i > 0) {
                        Thread.sleep(interval);
                    }
                    out.write(part);
                    out.flush();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
    }

    private static int setting(String asked, String name, int fallback) {
        for (String word : asked.split("\\s+", -1)) {
            if (word.startsWith(name + "=")) {
                try {
                    return Integer.parseInt(word.substring(name.length() + 1));
                } catch (NumberFormatException e) {
                    return fallback;
                }
            }
        }
        return fallback;
    }
}
