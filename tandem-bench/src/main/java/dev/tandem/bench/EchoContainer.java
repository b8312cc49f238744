package dev.tandem.bench;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.Executors;

/**
 * The benchmark's container: a contract server that answers each invocation with its body and
 * content type, as a child process. Built on the JDK's server (with TCP_NODELAY), like the
 * example containers and many hand-written ones.
 *
 * <p>{@code WORKERS} (4) threads serve invocations, each taking at least {@code SLEEP_MS} (0)
 * milliseconds — a model server of known capacity, {@code WORKERS × 1000 / SLEEP_MS} requests per
 * second, with a queue in front of its workers as gunicorn's sync workers have.
 */
public final class EchoContainer {
    private EchoContainer() {}

    /**
     * Writes {@code work/echo-container}, a program that starts this container with this JVM's java
     * and class path, for an {@code exec:} image; returns its path.
     */
    static Path writeLauncher(Path work) throws IOException {
        Path program = work.resolve("echo-container");
        String classpath = System.getProperty("java.class.path");
        String javaCommand = ProcessHandle.current().info().command().orElse("java");
        Files.writeString(
                program,
                "#!/bin/sh\nexec '" + javaCommand + "' -Xmx64m -cp '" + classpath + "' " + EchoContainer.class.getName()
                        + "\n");
        Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwxr-xr-x"));
        return program;
    }

    public static void main(String[] args) throws IOException {
        System.setProperty("sun.net.httpserver.nodelay", "true");
        int port = Integer.parseInt(System.getenv().getOrDefault("SAGEMAKER_BIND_TO_PORT", "8080"));
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 256);
        int workers = Integer.parseInt(System.getenv().getOrDefault("WORKERS", "4"));
        long sleepMillis = Long.parseLong(System.getenv().getOrDefault("SLEEP_MS", "0"));
        server.setExecutor(Executors.newFixedThreadPool(workers));
        server.createContext("/ping", exchange -> {
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.createContext("/invocations", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            if (sleepMillis > 0) {
                try {
                    Thread.sleep(sleepMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            String type = exchange.getRequestHeaders().getFirst("Content-Type");
            if (type != null) {
                exchange.getResponseHeaders().set("Content-Type", type);
            }
            exchange.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }
}
