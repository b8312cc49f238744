package dev.tandem.bench;

import dev.tandem.runtime.contract.ContractClient;
import dev.tandem.runtime.oci.ContainerEngine;
import dev.tandem.server.ServerConfig;
import dev.tandem.server.TandemServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.PoolOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The same contract program — the tests' busybox script — as an {@code exec} container on the host
 * and as a container image run by Podman or Docker with host networking: per-hop latency (open
 * loop) and cold start (CreateEndpoint to InService) side by side.
 *
 * <p>Usage: {@code tandem-bench/run oci [--seconds N] [--rate N]}
 */
public final class OciBenchmark {
    private static final String IMAGE = "localhost/tandem-bench-contract:bind";

    private OciBenchmark() {}

    public static void main(String[] args) throws Exception {
        int seconds = BenchmarkArgs.option(args, "--seconds", 8);
        int rate = BenchmarkArgs.option(args, "--rate", 10); // the busybox program serves one connection at a time
        ContainerEngine engine = ContainerEngine.detect(System.getenv())
                .orElseThrow(() -> new IllegalStateException("no Podman or Docker on the PATH"));
        Path root =
                Path.of(System.getProperty("tandem.root", ".")).toAbsolutePath().normalize();
        Path scripts = root.resolve("tandem-it/src/test/resources/oci");
        Path work = WorkDirectory.create("tandem-oci-bench");
        Path program = Files.createDirectories(work.resolve("program"));
        for (String file : List.of("serve", "handler", "Containerfile")) {
            Files.copy(scripts.resolve(file), program.resolve(file), StandardCopyOption.REPLACE_EXISTING);
        }
        program.resolve("serve").toFile().setExecutable(true);
        program.resolve("handler").toFile().setExecutable(true);
        Files.copy(Path.of("/bin/busybox"), program.resolve("busybox"), StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(
                program.resolve("Labelled"),
                "FROM localhost/tandem-bench-contract:plain\nLABEL " + ContainerEngine.BIND_TO_PORT_LABEL + "=true\n");
        build(engine, program, "Containerfile", "localhost/tandem-bench-contract:plain");
        build(engine, program, "Labelled", IMAGE);

        Vertx clientVertx = Vertx.vertx();
        try (TandemServer tandem =
                TandemServer.start(ServerConfig.defaults().withPort(0).withDataDir(work.resolve("data")))) {
            List<Double> execStarts = new ArrayList<>();
            List<Double> ociStarts = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                execStarts.add(deploy(tandem, work, "exec-" + i, "exec:" + program));
                ociStarts.add(deploy(tandem, work, "oci-" + i, IMAGE));
            }
            HttpClientAgent client =
                    clientVertx.createHttpClient(ContractClient.clientOptions(), new PoolOptions().setHttp1MaxSize(4));
            int port = tandem.port();
            latency(client, port, "exec-0", rate, seconds); // warm-up rounds
            latency(client, port, "oci-0", rate, seconds);
            LoadGenerator.Latency exec = latency(client, port, "exec-0", rate, seconds);
            LoadGenerator.Latency oci = latency(client, port, "oci-0", rate, seconds);
            System.out.printf(
                    Locale.ROOT,
                    "%nOCI (%s, host network) vs exec, the same busybox contract program; open loop at %d req/s for"
                            + " %d s (µs)%n%n%-30s %9s %9s %9s %8s%n",
                    engine.binary(),
                    rate,
                    seconds,
                    "scenario",
                    "p50",
                    "p99",
                    "p99.9",
                    "errors");
            System.out.printf(
                    Locale.ROOT,
                    "%-30s %9.0f %9.0f %9.0f %8d%n",
                    "exec container",
                    exec.p50(),
                    exec.p99(),
                    exec.p999(),
                    exec.errors());
            System.out.printf(
                    Locale.ROOT,
                    "%-30s %9.0f %9.0f %9.0f %8d%n",
                    "oci container",
                    oci.p50(),
                    oci.p99(),
                    oci.p999(),
                    oci.errors());
            System.out.printf(
                    Locale.ROOT,
                    "%nper-hop latency oci/exec: p50 %.2fx, p99 %.2fx%ncold start to InService: exec %s s, oci %s s%n",
                    oci.p50() / exec.p50(),
                    oci.p99() / exec.p99(),
                    format(execStarts),
                    format(ociStarts));
        } finally {
            clientVertx.close().toCompletionStage().toCompletableFuture().get();
        }
    }

    private static LoadGenerator.Latency latency(
            HttpClientAgent client, int port, String endpoint, int rate, int seconds) throws InterruptedException {
        return LoadGenerator.openLoop(
                () -> PipelineOverheadBenchmark.post(
                        client, port, "/endpoints/" + endpoint + "/invocations", "text/plain", Buffer.buffer("x")),
                rate,
                Duration.ofSeconds(seconds));
    }

    private static double deploy(TandemServer tandem, Path dir, String name, String image) throws Exception {
        long start = System.nanoTime();
        PipelineOverheadBenchmark.deploy(
                tandem, dir, "{\"ModelName\": \"" + name + "\", \"PrimaryContainer\": {\"Image\": \"" + image + "\"}}");
        return (System.nanoTime() - start) / 1e9;
    }

    private static void build(ContainerEngine engine, Path context, String file, String tag) throws Exception {
        Process process = new ProcessBuilder(engine.binary(), "build", "-q", "-f", file, "-t", tag, ".")
                .directory(context.toFile())
                .inheritIO()
                .start();
        if (!process.waitFor(5, TimeUnit.MINUTES) || process.exitValue() != 0) {
            throw new IllegalStateException("building " + tag + " failed");
        }
    }

    private static String format(List<Double> values) {
        return String.join(
                ", ",
                values.stream().map(v -> String.format(Locale.ROOT, "%.2f", v)).toList());
    }
}
