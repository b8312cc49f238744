package dev.tandem.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A {@code redis-server} (Debian's) on loopback for a benchmark, configured as a production Redis
 * runs: its append-only file synced every second.
 */
final class RedisProcess implements AutoCloseable {
    private final Process process;
    private final URI uri;

    private RedisProcess(Process process, URI uri) {
        this.process = process;
        this.uri = uri;
    }

    static RedisProcess start(Path folder) throws IOException, InterruptedException {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        Files.createDirectories(folder);
        Process process = new ProcessBuilder(
                        "redis-server",
                        "--bind",
                        "127.0.0.1",
                        "--port",
                        Integer.toString(port),
                        "--dir",
                        folder.toString(),
                        "--save",
                        "",
                        "--appendonly",
                        "yes",
                        "--appendfsync",
                        "everysec")
                .redirectErrorStream(true)
                .redirectOutput(folder.resolve("redis.log").toFile())
                .start();
        ChildProcesses.awaitListening(
                process, port, Duration.ofSeconds(30), "redis-server", folder.resolve("redis.log"));
        return new RedisProcess(process, URI.create("redis://127.0.0.1:" + port));
    }

    URI uri() {
        return uri;
    }

    @Override
    public void close() {
        ChildProcesses.stop(process, Duration.ofSeconds(10));
    }
}
