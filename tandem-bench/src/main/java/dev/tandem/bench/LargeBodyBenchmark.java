package dev.tandem.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * A large body through three container hops: what Tandem costs to carry it, against the cost of
 * copying it. Three echo containers (child processes, the same program each time) answer every
 * invocation with its body; one client, one request at a time, POSTs a body of {@code --megabytes}
 * (default 5)
 *
 * <ol>
 *   <li>to the three containers itself, one after the other (the answer of one is the body of the
 *       next): the same work with no Tandem in between;
 *   <li>to {@code ./tandem serve} (its jar, in its own JVM) with the three as a serial pipeline.
 * </ol>
 *
 * It reports each side's time per request, and the CPU the Tandem process spends per request
 * against what moving the body costs at the least: Tandem reads the body four times (from the
 * client and from each container) and writes it four times, and each of those system calls copies
 * it once between the kernel and Tandem — eight copies of the body, timed here as {@code
 * System.arraycopy} of the same size. A Tandem that copied nothing of its own would spend about
 * that, plus the kernel's TCP work.
 *
 * <p>Options: {@code --megabytes N} (default 5), {@code --requests N} (default 40), {@code
 * --rounds N} (default 2).
 */
public final class LargeBodyBenchmark {
    private static final String ENDPOINT = "large";
    private static final int CONTAINERS = 3;
    /** Reads and writes of the body by Tandem per request: one of each per hop, and the client's. */
    private static final int COPIES_AT_LEAST = 2 * (CONTAINERS + 1);

    private LargeBodyBenchmark() {}

    public static void main(String[] args) throws Exception {
        int megabytes = BenchmarkArgs.option(args, "--megabytes", 5);
        int requests = BenchmarkArgs.option(args, "--requests", 40);
        int rounds = BenchmarkArgs.option(args, "--rounds", 2);
        Path root = Path.of(System.getProperty("tandem.root", ".")).toAbsolutePath();
        Path work = WorkDirectory.create("tandem-large");
        byte[] body = new byte[megabytes * 1024 * 1024];
        new Random(7).nextBytes(body);
        Path program = EchoContainer.writeLauncher(work);
        Path pipeline = HopBenchmark.pipeline(work.resolve(ENDPOINT + ".json"), ENDPOINT, program, CONTAINERS, 0);

        List<Process> direct = new ArrayList<>();
        List<Integer> ports = new ArrayList<>();
        try (ServerProcess tandem = ServerProcess.start(
                root,
                pipeline,
                ENDPOINT,
                work.resolve("tandem.log"),
                List.of("--max-payload", (megabytes + 1) + "MB"),
                "application/octet-stream",
                "ready?")) {
            for (int i = 0; i < CONTAINERS; i++) {
                int port = NginxProcess.freePort();
                ProcessBuilder builder = new ProcessBuilder(program.toString())
                        .redirectErrorStream(true)
                        .redirectOutput(work.resolve("direct-" + i + ".log").toFile());
                builder.environment().put("SAGEMAKER_BIND_TO_PORT", Integer.toString(port));
                Process process = builder.start();
                direct.add(process);
                ports.add(port);
                ChildProcesses.awaitListening(
                        process,
                        port,
                        java.time.Duration.ofSeconds(30),
                        "echo container",
                        work.resolve("direct-" + i + ".log"));
            }
            List<RawHttpClient> chain = new ArrayList<>();
            for (int port : ports) {
                chain.add(new RawHttpClient(port));
            }
            RawHttpClient client = new RawHttpClient(tandem.port());
            String path = "/endpoints/" + ENDPOINT + "/invocations";

            // Warm-up, not reported.
            JitWarmup.untilSettled(
                    () -> {
                        for (int i = 0; i < 20; i++) {
                            throughChain(chain, body);
                            check(exchange(client, path, body), body);
                        }
                    },
                    tandem::compilerCpuNanos,
                    tandem::cpuNanos,
                    15);
            System.out.printf(
                    Locale.ROOT,
                    "%d MB bodies, one at a time, through three echo containers; median (p90) ms a request. %d cores.%n%n"
                            + "| round | client → 3 containers | through Tandem | Tandem CPU / request | %d copies of the body (arraycopy) | Tandem CPU / copies |%n"
                            + "| --- | --- | --- | --- | --- | --- |%n",
                    megabytes,
                    Runtime.getRuntime().availableProcessors(),
                    COPIES_AT_LEAST);
            for (int round = 1; round <= rounds; round++) {
                double[] chained = new double[requests];
                for (int i = 0; i < requests; i++) {
                    long start = System.nanoTime();
                    check(throughChain(chain, body), body);
                    chained[i] = (System.nanoTime() - start) / 1e6;
                }
                double[] viaTandem = new double[requests];
                long cpuBefore = tandem.cpuNanos();
                for (int i = 0; i < requests; i++) {
                    long start = System.nanoTime();
                    check(exchange(client, path, body), body);
                    viaTandem[i] = (System.nanoTime() - start) / 1e6;
                }
                double cpuMillis = (tandem.cpuNanos() - cpuBefore) / 1e6 / requests;
                double copyMillis = COPIES_AT_LEAST * copyMillis(body);
                System.out.printf(
                        Locale.ROOT,
                        "| %d | %s | %s | %.2f ms | %.2f ms | %.1f× |%n",
                        round,
                        cell(chained),
                        cell(viaTandem),
                        cpuMillis,
                        copyMillis,
                        cpuMillis / copyMillis);
            }
            client.close();
            for (RawHttpClient hop : chain) {
                hop.close();
            }
        } finally {
            for (Process process : direct) {
                ChildProcesses.stop(process, java.time.Duration.ofSeconds(5));
            }
        }
    }

    private static byte[] throughChain(List<RawHttpClient> chain, byte[] body) throws IOException {
        byte[] passing = body;
        for (RawHttpClient hop : chain) {
            passing = exchange(hop, "/invocations", passing);
        }
        return passing;
    }

    private static byte[] exchange(RawHttpClient client, String path, byte[] body) throws IOException {
        try (InputStream answer = client.post(path, body, "application/octet-stream")) {
            return answer.readAllBytes();
        }
    }

    private static void check(byte[] answer, byte[] body) {
        if (!Arrays.equals(answer, body)) {
            throw new IllegalStateException("the answer is not the body: " + answer.length + " bytes back");
        }
    }

    /** The median time of one {@code System.arraycopy} of the body, in ms. */
    private static double copyMillis(byte[] body) {
        byte[] target = new byte[body.length];
        double[] times = new double[50];
        for (int i = 0; i < times.length; i++) {
            long start = System.nanoTime();
            System.arraycopy(body, 0, target, 0, body.length);
            times[i] = (System.nanoTime() - start) / 1e6;
        }
        Arrays.sort(times);
        return times[times.length / 2];
    }

    private static String cell(double[] millis) {
        double[] sorted = millis.clone();
        Arrays.sort(sorted);
        return String.format(
                Locale.ROOT,
                "%.2f (%.2f)",
                sorted[sorted.length / 2],
                sorted[(int) Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.9) - 1)]);
    }
}
