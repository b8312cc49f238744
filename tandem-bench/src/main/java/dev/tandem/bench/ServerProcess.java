package dev.tandem.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Tandem as a user runs it — {@code java -jar tandem.jar serve PIPELINE…} — in a process of its
 * own, so that the load generator's threads and garbage never share a JVM with the server they
 * measure. Reads the server's resident memory and open file descriptors from {@code /proc}.
 */
final class ServerProcess implements AutoCloseable {
    private final Process process;
    private final int port;

    private ServerProcess(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /**
     * Starts the server on a free port with {@code options} after {@code serve PIPELINE}, logging
     * to {@code log}, and waits until {@code endpoint} answers an invocation.
     */
    static ServerProcess start(Path root, Path pipeline, String endpoint, Path log, List<String> options)
            throws IOException, InterruptedException {
        return start(root, pipeline, endpoint, log, options, "text/plain", "ready?");
    }

    /** As {@link #start(Path, Path, String, Path, List)}, ready once {@code body} is answered. */
    static ServerProcess start(
            Path root, Path pipeline, String endpoint, Path log, List<String> options, String contentType, String body)
            throws IOException, InterruptedException {
        int port = freePort();
        List<String> arguments = new ArrayList<>(List.of(
                "serve",
                pipeline.toString(),
                "--port",
                Integer.toString(port),
                "--data-dir",
                log.resolveSibling("data-" + port).toString()));
        arguments.addAll(options);
        ServerProcess server = launch(root, arguments, Map.of(), port, log);
        server.awaitAnswer("/endpoints/" + endpoint + "/invocations", contentType, body, log);
        return server;
    }

    /**
     * Runs {@code tandem ARGUMENTS} (the jar, in a JVM of its own) with {@code environment} added,
     * listening on {@code port}; does not wait for it.
     */
    static ServerProcess launch(Path root, List<String> arguments, Map<String, String> environment, int port, Path log)
            throws IOException {
        Path jar = root.resolve("tandem-cli/target/tandem.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: build it with ./mvnw package -pl tandem-cli -am");
        }
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED",
                "-jar",
                jar.toString()));
        command.addAll(arguments);
        ProcessBuilder builder =
                new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(environment);
        return new ServerProcess(builder.start(), port);
    }

    static int freePort() throws IOException {
        try (ServerSocket free = new ServerSocket(0)) {
            return free.getLocalPort();
        }
    }

    int port() {
        return port;
    }

    long pid() {
        return process.pid();
    }

    /** The CPU time (user and system, all threads) the server has used, from {@code /proc/PID/stat}. */
    long cpuNanos() throws IOException {
        return cpuNanos(Path.of("/proc", Long.toString(process.pid()), "stat"));
    }

    /** The CPU time the server's JIT compiler threads have used, from each thread's {@code stat}. */
    long compilerCpuNanos() throws IOException {
        long nanos = 0;
        try (Stream<Path> threads = Files.list(Path.of("/proc", Long.toString(process.pid()), "task"))) {
            for (Path thread : threads.toList()) {
                try {
                    // HotSpot names them "C1 CompilerThread0", "C2 CompilerThread1"…, cut to 15 characters.
                    if (Files.readString(thread.resolve("comm")).contains("CompilerThre")) {
                        nanos += cpuNanos(thread.resolve("stat"));
                    }
                } catch (IOException e) {
                    // The thread ended while it was being read.
                }
            }
        }
        return nanos;
    }

    private static long cpuNanos(Path stat) throws IOException {
        return ProcStat.read(stat).cpuNanos();
    }

    /** The server's resident set size in bytes, from {@code /proc/PID/status}. */
    long residentBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IOException("no VmRSS in /proc/" + process.pid() + "/status");
    }

    /** The file descriptors the server holds open (sockets, files, pipes). */
    long openFiles() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(process.pid()), "fd"))) {
            return fds.count();
        }
    }

    /** Waits until {@code POST path} with {@code body} is answered 200, for up to two minutes. */
    void awaitAnswer(String path, String contentType, String body, Path log) throws InterruptedException, IOException {
        Duration timeout = Duration.ofMinutes(2);
        HttpClient client = HttpClient.newHttpClient();
        HttpRequest invoke = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the server exited; its log:\n" + Files.readString(log));
            }
            try {
                if (client.send(invoke, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // Not listening yet.
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("POST " + path + " was not answered within " + timeout);
    }

    /** SIGTERM, then SIGKILL if it has not exited within 30 s. */
    @Override
    public void close() {
        ChildProcesses.stop(process, Duration.ofSeconds(30));
    }
}
