package dev.tandem.bench;

import dev.tandem.server.api.EventStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * InvokeEndpointWithResponseStream against the container streaming straight to the client, in one
 * run: the same container process ({@link StreamingContainer}), read by the same client (the JDK's,
 * in this process) either from the container's {@code /invocations} directly or through {@code
 * ./tandem serve} in a process of its own, which forwards it as event-stream messages. Measures the
 * time to the first byte of the answer, and what each part costs when a container writes them back
 * to back, small (64 bytes: a token) and large (64 KiB).
 */
public final class StreamBenchmark {
    private StreamBenchmark() {}

    /** One way of reading a streamed answer: where it comes from, and how its parts are told apart. */
    private interface Reading {
        /** Sends {@code ask} and reads the whole answer; returns [nanos to first byte, nanos in all, bytes]. */
        long[] read(String ask) throws IOException, InterruptedException;
    }

    public static void main(String[] args) throws Exception {
        int requests = BenchmarkArgs.option(args, "--requests", 300);
        int rounds = BenchmarkArgs.option(args, "--rounds", 2);
        Path root = Path.of(System.getProperty("tandem.root", ".")).toAbsolutePath();
        Path work = WorkDirectory.create("tandem-stream-bench");
        int containerPort = ServerProcess.freePort();
        ProcessBuilder containerProcess = new ProcessBuilder(
                        ProcessHandle.current().info().command().orElse("java"),
                        "-cp",
                        System.getProperty("java.class.path"),
                        StreamingContainer.class.getName())
                .redirectErrorStream(true)
                .redirectOutput(work.resolve("container.log").toFile());
        containerProcess.environment().put("SAGEMAKER_BIND_TO_PORT", Integer.toString(containerPort));
        Process container = containerProcess.start();
        Path pipeline = work.resolve("stream.json");
        Files.writeString(
                pipeline,
                "{\"ModelName\": \"stream\", \"PrimaryContainer\": {\"Image\": \"http://127.0.0.1:" + containerPort
                        + "\"}}");
        try (ServerProcess server = ServerProcess.start(
                        root, pipeline, "stream", work.resolve("server.log"), List.of(), "text/plain", "parts=1");
                RawHttpClient toContainer = new RawHttpClient(containerPort);
                RawHttpClient toTandem = new RawHttpClient(server.port())) {
            Reading direct = ask -> readBytes(System.nanoTime(), toContainer, "/invocations", ask);
            Reading whole = ask -> readBytes(System.nanoTime(), toTandem, "/endpoints/stream/invocations", ask);
            Reading tandem = ask ->
                    readEvents(System.nanoTime(), toTandem, "/endpoints/stream/invocations-response-stream", ask);
            System.out.printf(
                    "Streaming: the container direct vs through Tandem (InvokeEndpointWithResponseStream), %d"
                            + " rounds, this machine's %d cores shared by client, server and container%n",
                    rounds, Runtime.getRuntime().availableProcessors());
            for (int round = 1; round <= rounds; round++) {
                System.out.printf("round %d%n", round);
                firstByte(direct, tandem, whole, requests);
                perPart(direct, tandem, "64-byte parts", "parts=20000 bytes=64", 20_000, 3);
                perPart(direct, tandem, "64 KiB parts", "parts=4000 bytes=65536", 4_000, 3);
            }
        } finally {
            ChildProcesses.stop(container, Duration.ofSeconds(5));
        }
    }

    /** Time to the first byte of a one-part answer, request after request. */
    private static void firstByte(Reading direct, Reading tandem, Reading whole, int requests)
            throws IOException, InterruptedException {
        List<Long> directTimes = new ArrayList<>();
        List<Long> tandemTimes = new ArrayList<>();
        List<Long> wholeTimes = new ArrayList<>();
        for (int i = 0; i < requests / 10; i++) {
            direct.read("parts=1");
            tandem.read("parts=1");
            whole.read("parts=1");
        }
        for (int i = 0; i < requests; i++) {
            directTimes.add(direct.read("parts=1")[0]);
            tandemTimes.add(tandem.read("parts=1")[0]);
            wholeTimes.add(whole.read("parts=1")[0]);
        }
        double d50 = percentile(directTimes, 0.5);
        double t50 = percentile(tandemTimes, 0.5);
        double d99 = percentile(directTimes, 0.99);
        double t99 = percentile(tandemTimes, 0.99);
        System.out.printf(
                "  time to first byte (%d requests): direct p50 %.0f µs p99 %.0f µs; Tandem p50 %.0f µs p99 %.0f µs"
                        + " — %.2f× p50, %.2f× p99, +%.0f µs%n",
                requests, d50, d99, t50, t99, t50 / d50, t99 / d99, t50 - d50);
        System.out.printf(
                "    (the same answer whole through Tandem, InvokeEndpoint: p50 %.0f µs p99 %.0f µs)%n",
                percentile(wholeTimes, 0.5), percentile(wholeTimes, 0.99));
    }

    /** Parts written back to back: the time per part, direct and through Tandem. */
    private static void perPart(Reading direct, Reading tandem, String label, String ask, int parts, int repeats)
            throws IOException, InterruptedException {
        direct.read(ask);
        tandem.read(ask);
        long directBest = Long.MAX_VALUE;
        long tandemBest = Long.MAX_VALUE;
        long bytes = 0;
        for (int i = 0; i < repeats; i++) {
            long[] d = direct.read(ask);
            long[] t = tandem.read(ask);
            directBest = Math.min(directBest, d[1]);
            tandemBest = Math.min(tandemBest, t[1]);
            bytes = d[2];
        }
        double directPerPart = directBest / 1000.0 / parts;
        double tandemPerPart = tandemBest / 1000.0 / parts;
        System.out.printf(
                "  %s (%d, %d MB, best of %d): direct %.2f µs a part (%.0f MB/s), Tandem %.2f µs a part (%.0f MB/s)"
                        + " — +%.2f µs a part, %.2f× the time%n",
                label,
                parts,
                bytes / 1_000_000,
                repeats,
                directPerPart,
                bytes / (directBest / 1e9) / 1e6,
                tandemPerPart,
                bytes / (tandemBest / 1e9) / 1e6,
                tandemPerPart - directPerPart,
                (double) tandemBest / directBest);
    }

    /** Reads a body to its end: [nanos to its first byte, nanos in all, bytes], from when it was asked. */
    private static long[] readBytes(long start, RawHttpClient client, String path, String ask) throws IOException {
        InputStream body = client.post(path, ask);
        long first = -1;
        long bytes = 0;
        byte[] buffer = new byte[256 * 1024];
        for (int read = body.read(buffer); read >= 0; read = body.read(buffer)) {
            if (first < 0 && read > 0) {
                first = System.nanoTime() - start;
            }
            bytes += read;
        }
        return new long[] {first, System.nanoTime() - start, bytes};
    }

    /** Reads an event stream to its end, as {@link #readBytes} does, counting the parts' payload. */
    private static long[] readEvents(long start, RawHttpClient client, String path, String ask) throws IOException {
        InputStream body = client.post(path, ask);
        long first = -1;
        long bytes = 0;
        DataInputStream in = new DataInputStream(body);
        for (EventStream.Message message = EventStream.read(in); message != null; message = EventStream.read(in)) {
            if (!"PayloadPart".equals(message.header(":event-type"))) {
                throw new IOException("the stream broke: " + message.headers() + " "
                        + message.payload().asUtf8());
            }
            if (first < 0) {
                first = System.nanoTime() - start;
            }
            bytes += message.payload().size();
        }
        return new long[] {first, System.nanoTime() - start, bytes};
    }

    /** The {@code q} quantile of {@code nanos}, in microseconds. */
    private static double percentile(List<Long> nanos, double q) {
        List<Long> sorted = new ArrayList<>(nanos);
        Collections.sort(sorted);
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1)) / 1000.0;
    }
}
