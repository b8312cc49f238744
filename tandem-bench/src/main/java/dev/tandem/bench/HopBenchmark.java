package dev.tandem.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The cost of a container hop, measured as a skeptic would: wrk, in a process of its own, POSTs
 * 512-byte bodies to
 *
 * <ol>
 *   <li>the container directly — nginx answering a constant body on {@code /invocations}, a
 *       container that answers in microseconds;
 *   <li>nginx as a keep-alive reverse proxy in front of it, the hop every operator already trusts;
 *   <li>a plain Netty proxy in front of it ({@link NettyProxy}, in its own JVM): the floor, what
 *       the JVM and Netty cost a hop with nothing of Tandem's on it;
 *   <li>{@code ./tandem serve} (its jar, in its own JVM) with that container as a one-container
 *       pipeline, started by Tandem as an {@code exec:} container;
 * </ol>
 *
 * then three hops: three chained nginx proxies in front of the container, against a pipeline of
 * three such containers. Each at 1, 16 and 64 connections, in rounds, every contender measured
 * within the same round so that the machine's noise hits rounds, not sides. Last, how much of its
 * one-hop throughput each side keeps with three hops, the measure the goal is set in ("three hops
 * degrade no worse than three chained nginx proxies").
 *
 * <p>The pipeline's containers declare {@code TANDEM_MAX_IN_FLIGHT} (64 unless {@code --in-flight N}
 * says otherwise; 0 leaves Tandem's own sizing): nginx's proxy sends its container as many requests
 * at once as arrive, and an event-driven container such as nginx has no worker count for Tandem to
 * size its bound from — by default it would admit cores + ¼ requests at a time, as for a server of
 * one worker per core.
 *
 * <p>Options: {@code --seconds N} a run (default 10), {@code --rounds N} (default 2), {@code
 * --payload N} bytes (default 512), {@code --connections 1,16,64}, {@code --in-flight N}. Needs {@code wrk} and {@code
 * nginx} on the PATH ({@code tandem-bench/run hop} installs them with apt-get when missing).
 */
public final class HopBenchmark {
    private static final String ENDPOINT_ONE = "hop";
    private static final String ENDPOINT_THREE = "hops";

    // The nginx and Netty proxies are held open by the try block and measured through their ports.
    @SuppressWarnings("try")
    public static void main(String[] args) throws Exception {
        int seconds = BenchmarkArgs.option(args, "--seconds", 10);
        int rounds = BenchmarkArgs.option(args, "--rounds", 2);
        int payload = BenchmarkArgs.option(args, "--payload", 512);
        int inFlight = BenchmarkArgs.option(args, "--in-flight", 64);
        int[] connections = BenchmarkArgs.numbers(args, "--connections", 1, 16, 64);
        Duration run = Duration.ofSeconds(seconds);
        Path root = Path.of(System.getProperty("tandem.root", ".")).toAbsolutePath();
        Path work = WorkDirectory.create("tandem-hop");
        Path container = constantContainer(work.resolve("container"));
        Wrk wrk = Wrk.posting(work, payload, "application/octet-stream");

        int containerPort = NginxProcess.freePort();
        int proxyPort = NginxProcess.freePort();
        int nettyPort = NginxProcess.freePort();
        List<Integer> chainPorts = List.of(NginxProcess.freePort(), NginxProcess.freePort(), NginxProcess.freePort());
        Path one = pipeline(work.resolve(ENDPOINT_ONE + ".json"), ENDPOINT_ONE, container, 1, inFlight);
        Path three = pipeline(work.resolve(ENDPOINT_THREE + ".json"), ENDPOINT_THREE, container, 3, inFlight);
        Process direct = startContainer(container, containerPort, work.resolve("direct.log"));
        try (NginxProcess proxy = NginxProcess.proxyChain(work.resolve("proxy"), List.of(proxyPort), containerPort);
                NginxProcess chain = NginxProcess.proxyChain(work.resolve("chain"), chainPorts, containerPort);
                NettyProxy.Running netty = NettyProxy.launch(nettyPort, containerPort, work.resolve("netty.log"));
                ServerProcess tandem = ServerProcess.start(
                        root,
                        one,
                        ENDPOINT_ONE,
                        work.resolve("tandem.log"),
                        List.of(three.toString()),
                        "application/octet-stream",
                        "ready?")) {
            String directUrl = "http://127.0.0.1:" + containerPort + "/invocations";
            String proxyUrl = "http://127.0.0.1:" + proxyPort + "/invocations";
            String nettyUrl = "http://127.0.0.1:" + nettyPort + "/invocations";
            String chainUrl = "http://127.0.0.1:" + chainPorts.get(0) + "/invocations";
            String tandemOne = "http://127.0.0.1:" + tandem.port() + "/endpoints/" + ENDPOINT_ONE + "/invocations";
            String tandemThree = "http://127.0.0.1:" + tandem.port() + "/endpoints/" + ENDPOINT_THREE + "/invocations";

            // Warm-up, not reported: the JIT compiles Tandem's paths, every pool opens its connections.
            JitWarmup.untilSettled(
                    () -> {
                        for (String url : List.of(tandemOne, tandemThree, proxyUrl, nettyUrl, chainUrl)) {
                            wrk.run(url, 16, Duration.ofSeconds(5));
                        }
                    },
                    tandem::compilerCpuNanos,
                    tandem::cpuNanos,
                    8);
            System.out.printf(
                    Locale.ROOT,
                    "%d-byte POSTs from wrk, %d s a run; req/s (p50 / p99). %d cores. Tandem's bound: %s.%n",
                    payload,
                    seconds,
                    Runtime.getRuntime().availableProcessors(),
                    inFlight > 0 ? "TANDEM_MAX_IN_FLIGHT=" + inFlight : "its default sizing");
            System.out.printf(
                    Locale.ROOT,
                    "%n| round | connections | direct | nginx hop | Netty hop | Tandem hop | Tandem / nginx req/s | p50 | p99 | Tandem / Netty req/s | p50 | p99 |%n");
            System.out.println("|" + " --- |".repeat(12));
            List<String> threeRows = new ArrayList<>();
            List<String> degradationRows = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                List<Wrk.Result> nginxOne = new ArrayList<>();
                List<Wrk.Result> tandemOneHop = new ArrayList<>();
                for (int c : connections) {
                    Wrk.Result straight = wrk.run(directUrl, c, run);
                    Wrk.Result nginx = wrk.run(proxyUrl, c, run);
                    Wrk.Result floor = wrk.run(nettyUrl, c, run);
                    Wrk.Result ours = wrk.run(tandemOne, c, run);
                    nginxOne.add(nginx);
                    tandemOneHop.add(ours);
                    System.out.println(oneHopRow(round, c, straight, nginx, floor, ours));
                }
                for (int i = 0; i < connections.length; i++) {
                    int c = connections[i];
                    Wrk.Result nginx = wrk.run(chainUrl, c, run);
                    Wrk.Result ours = wrk.run(tandemThree, c, run);
                    threeRows.add(threeHopRow(round, c, nginx, ours));
                    degradationRows.add(degradation(round, c, nginxOne.get(i), nginx, tandemOneHop.get(i), ours));
                }
            }
            printTable(
                    "Three hops: three chained nginx proxies against a pipeline of three containers",
                    "| round | connections | nginx × 3 | Tandem × 3 | Tandem / nginx req/s | p50 | p99 |",
                    threeRows);
            // The goal's measure for three hops: how much each side loses going from one hop to
            // three, within the round. Tandem's side also runs the container three times where the
            // chained proxies run it once.
            printTable(
                    "From one hop to three, req/s kept (three ÷ one, same round)",
                    "| round | connections | nginx: 3 proxies ÷ 1 | Tandem: 3 containers ÷ 1 | Tandem / nginx |",
                    degradationRows);
        } finally {
            direct.destroy();
            direct.waitFor();
        }
    }

    /** A Markdown table after a blank line and its title: the header, its rule, the rows. */
    private static void printTable(String title, String header, List<String> rows) {
        int columns = header.split("\\|", -1).length - 2;
        System.out.printf(Locale.ROOT, "%n%s%n%s%n|%s%n", title, header, " --- |".repeat(columns));
        rows.forEach(System.out::println);
    }

    /** A row of the first table: the hop against nginx's, and against the plain Netty proxy's. */
    private static String oneHopRow(
            int round, int connections, Wrk.Result direct, Wrk.Result nginx, Wrk.Result floor, Wrk.Result ours) {
        long errors = direct.errors() + nginx.errors() + floor.errors() + ours.errors();
        return String.format(
                Locale.ROOT,
                "| %d | %d | %s | %s | %s | %s | %s | %s |%s",
                round,
                connections,
                direct.cell(),
                nginx.cell(),
                floor.cell(),
                ours.cell(),
                ratios(ours, nginx),
                ratios(ours, floor),
                errors == 0 ? "" : " errors: " + errors);
    }

    /** Req/s, p50 and p99 of {@code ours} over {@code theirs}, as three cells. */
    private static String ratios(Wrk.Result ours, Wrk.Result theirs) {
        return String.format(
                Locale.ROOT,
                "%.2f× | %.2f× | %.2f×",
                ours.perSecond() / theirs.perSecond(),
                ours.p50Micros() / theirs.p50Micros(),
                ours.p99Micros() / theirs.p99Micros());
    }

    /** A row of the three-hop table: the pipeline against the chained proxies. */
    private static String threeHopRow(int round, int connections, Wrk.Result nginx, Wrk.Result ours) {
        long errors = nginx.errors() + ours.errors();
        return String.format(
                Locale.ROOT,
                "| %d | %d | %s | %s | %s |%s",
                round,
                connections,
                nginx.cell(),
                ours.cell(),
                ratios(ours, nginx),
                errors == 0 ? "" : " errors: " + errors);
    }

    /** A row of the last table: the share of its one-hop req/s each side keeps with three hops. */
    private static String degradation(
            int round,
            int connections,
            Wrk.Result nginxOne,
            Wrk.Result nginxThree,
            Wrk.Result oursOne,
            Wrk.Result oursThree) {
        double nginxKept = nginxThree.perSecond() / nginxOne.perSecond();
        double oursKept = oursThree.perSecond() / oursOne.perSecond();
        return String.format(
                Locale.ROOT,
                "| %d | %d | %.2f× | %.2f× | %.2f× |",
                round,
                connections,
                nginxKept,
                oursKept,
                oursKept / nginxKept);
    }

    /**
     * A SageMaker container folder whose {@code serve} runs nginx on {@code SAGEMAKER_BIND_TO_PORT},
     * answering {@code /ping} and a constant JSON body on {@code /invocations}.
     */
    static Path constantContainer(Path folder) throws IOException {
        Files.createDirectories(folder);
        String config = NginxProcess.mainSettings("$prefix")
                + "http {\n"
                + NginxProcess.httpSettings("$prefix")
                + """
                server {
                    listen 127.0.0.1:$SAGEMAKER_BIND_TO_PORT;
                    location = /ping { return 200 ""; }
                    location = /invocations { default_type application/json; return 200 '{"score": 0.5}'; }
                }
                }
                """;
        Path serve = folder.resolve("serve");
        Files.writeString(
                serve,
                """
                #!/bin/sh
                # A container that answers in microseconds: nginx returning a constant body.
                set -e
                prefix=$(mktemp -d)
                cat > "$prefix/nginx.conf" <<EOF
                %sEOF
                exec nginx -p "$prefix" -c "$prefix/nginx.conf"
                """
                        .formatted(config));
        Files.setPosixFilePermissions(serve, PosixFilePermissions.fromString("rwxr-xr-x"));
        return folder;
    }

    /**
     * Writes a pipeline file of {@code containers} copies of the {@code exec:} program {@code
     * container} (hostnames c1, c2, …), each declaring {@code TANDEM_MAX_IN_FLIGHT=inFlight} unless
     * it is 0.
     */
    static Path pipeline(Path file, String name, Path container, int containers, int inFlight) throws IOException {
        String environment = inFlight > 0 ? ", \"Environment\": {\"TANDEM_MAX_IN_FLIGHT\": \"" + inFlight + "\"}" : "";
        StringBuilder list = new StringBuilder();
        for (int i = 1; i <= containers; i++) {
            list.append(i > 1 ? ",\n" : "")
                    .append("    {\"ContainerHostname\": \"c")
                    .append(i)
                    .append("\", \"Image\": \"exec:")
                    .append(container)
                    .append("\"")
                    .append(environment)
                    .append("}");
        }
        Files.writeString(file, "{\n  \"ModelName\": \"" + name + "\",\n  \"Containers\": [\n" + list + "\n  ]\n}\n");
        return file;
    }

    static Process startContainer(Path container, int port, Path log) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(container.resolve("serve").toString(), "serve")
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().put("SAGEMAKER_BIND_TO_PORT", Integer.toString(port));
        Process process = builder.start();
        NginxProcess.awaitListening(process, port, log);
        return process;
    }
}
