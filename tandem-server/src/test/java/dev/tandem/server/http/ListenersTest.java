package dev.tandem.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ListenersTest {

    @Test
    void connectionsAreServedOnEveryEventLoop() throws Exception {
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        // Something else takes an event loop first, as the server's own clients and timers do.
        vertx.runOnContext(go -> {});
        Listeners listeners = new Listeners(
                vertx,
                HttpTransport.serverOptions("127.0.0.1", 0),
                ConnectionLimits.defaults(),
                2,
                request -> request.response().end(Thread.currentThread().getName()));
        try {
            listeners.listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            Set<String> threads = new HashSet<>();
            List<Socket> open = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                Socket socket = new Socket(InetAddress.getLoopbackAddress(), listeners.actualPort());
                open.add(socket);
                threads.add(answer(socket));
            }
            for (Socket socket : open) {
                socket.close();
            }
            assertThat(threads).as("the threads that served 8 connections").hasSize(2);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private static String answer(Socket socket) throws Exception {
        OutputStream out = socket.getOutputStream();
        out.write("GET / HTTP/1.1\r\nHost: test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = socket.getInputStream();
        StringBuilder text = new StringBuilder();
        int length = -1;
        while (true) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            text.append((char) b);
            int end = text.indexOf("\r\n\r\n");
            if (end >= 0 && length < 0) {
                String head = text.substring(0, end).toLowerCase(java.util.Locale.ROOT);
                int at = head.indexOf("content-length:");
                length = Integer.parseInt(
                        head.substring(at + 15).split("\r\n")[0].trim());
            }
            if (length >= 0 && text.length() == end + 4 + length) {
                return text.substring(end + 4);
            }
        }
        throw new IllegalStateException("no answer: " + text);
    }
}
