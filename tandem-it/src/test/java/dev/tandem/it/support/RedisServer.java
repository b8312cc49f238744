package dev.tandem.it.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real Redis on loopback for tests: Debian's {@code redis-server} as a child process, with no
 * snapshots and its files in a temp folder. Where it is not installed the tests that need it are
 * skipped, unless {@code TANDEM_REQUIRE_REDIS} is set (CI installs it and sets it).
 */
public final class RedisServer implements AutoCloseable {
    private final Process process;
    private final URI uri;

    private RedisServer(Process process, URI uri) {
        this.process = process;
        this.uri = uri;
    }

    /** Whether {@code redis-server} is on the PATH; a test that needs it skips when not, unless required. */
    public static void assumeInstalled() {
        boolean installed = System.getenv("PATH") != null
                && java.util.Arrays.stream(System.getenv("PATH").split(":", -1))
                        .anyMatch(dir -> Files.isExecutable(Path.of(dir, "redis-server")));
        if (System.getenv("TANDEM_REQUIRE_REDIS") != null && !installed) {
            throw new IllegalStateException("TANDEM_REQUIRE_REDIS is set but redis-server is not installed");
        }
        Assumptions.assumeTrue(installed, "redis-server is not installed (Debian: apt-get install redis-server)");
    }

    public static RedisServer start(Path folder) {
        assumeInstalled();
        try {
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
                            "no",
                            "--daemonize",
                            "no")
                    .redirectErrorStream(true)
                    .start();
            BufferedReader lines =
                    new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            CompletableFuture<Boolean> ready = CompletableFuture.supplyAsync(() -> {
                try {
                    String line;
                    while ((line = lines.readLine()) != null) {
                        if (line.contains("Ready to accept connections")) {
                            // Keep draining its output so that it never blocks on a full pipe.
                            Thread.ofVirtual().start(() -> drain(lines));
                            return true;
                        }
                    }
                    return false;
                } catch (IOException e) {
                    return false;
                }
            });
            if (!ready.get(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("redis-server exited before it was ready");
            }
            return new RedisServer(process, URI.create("redis://127.0.0.1:" + port));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException("redis-server did not start: " + e, e);
        }
    }

    private static void drain(BufferedReader lines) {
        try (lines) {
            while (lines.readLine() != null) {
                // discarded
            }
        } catch (IOException ignored) {
            // the process ended
        }
    }

    public URI uri() {
        return uri;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
