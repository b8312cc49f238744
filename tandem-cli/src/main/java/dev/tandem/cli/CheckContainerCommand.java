package dev.tandem.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.core.model.ContainerDefinition;
import dev.tandem.core.model.ImageRef;
import dev.tandem.core.model.PipelineParser;
import dev.tandem.core.runtime.LaunchRequest;
import dev.tandem.runtime.RuntimeSettings;
import dev.tandem.runtime.exec.PortAllocator;
import dev.tandem.runtime.exec.PortBlock;
import dev.tandem.runtime.exec.ProcessLauncher;
import dev.tandem.runtime.exec.ProgramLauncher;
import dev.tandem.runtime.model.ArchiveLimits;
import dev.tandem.runtime.model.ModelDataStore;
import dev.tandem.runtime.oci.ContainerEngine;
import dev.tandem.runtime.oci.OciLauncher;
import dev.tandem.runtime.storage.ObjectStore;
import dev.tandem.runtime.storage.S3Settings;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tandem check-container IMAGE}: starts one container alone, as a pipeline would, and
 * reports point by point whether it honours SageMaker's container contract — the check to run
 * before deploying.
 */
@Command(
        name = "check-container",
        mixinStandardHelpOptions = true,
        description = "Start one container alone and report whether it honours the SageMaker container contract.")
final class CheckContainerCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "IMAGE", description = "exec:PATH, or a container image (run with Podman or Docker).")
    String image;

    @Option(
            names = "--model-data",
            paramLabel = "URL",
            description = "The ModelDataUrl: a folder or .tar.gz (file:, s3://).")
    @Nullable
    String modelData;

    @Option(names = "--env", paramLabel = "KEY=VALUE", description = "Environment for the container; repeatable.")
    Map<String, String> environment = new LinkedHashMap<>();

    @Option(names = "--body", defaultValue = "", description = "The sample body for POST /invocations.")
    String body;

    @Option(
            names = "--content-type",
            defaultValue = "text/csv",
            description = "Its Content-Type (default: ${DEFAULT-VALUE}).")
    String contentType;

    @Option(names = "--accept", description = "The Accept to send, if any.")
    @Nullable
    String accept;

    @Option(
            names = "--startup-timeout",
            defaultValue = "120s",
            description = "How long the container may take to answer /ping (default: ${DEFAULT-VALUE}).")
    Duration startupTimeout;

    @Option(
            names = "--stop-grace",
            defaultValue = "30s",
            description = "How long it may take to exit after SIGTERM (default: ${DEFAULT-VALUE}).")
    Duration stopGrace;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path work = Files.createTempDirectory("tandem-check");
        ContainerDefinition container = definition();
        Path modelDir = new ModelDataStore(
                        work, ArchiveLimits.defaults(), new ObjectStore(S3Settings.fromEnvironment(System.getenv())))
                .resolve(container.modelData(), "--model-data");
        LaunchRequest request = new LaunchRequest("check", "i-1", container, modelDir, startupTimeout, 0, status -> {});
        ProcessLauncher launcher = launcher(container);
        RuntimeSettings defaults = RuntimeSettings.defaults();
        PortAllocator ports = new PortAllocator(defaults.firstPort(), defaults.lastPort());
        PortBlock block = ports.allocate();
        Report report = new Report(out);
        List<String> output = new CopyOnWriteArrayList<>();

        Process process;
        try {
            process = launcher.command(request, block).redirectErrorStream(true).start();
        } catch (IOException e) {
            report.fail("starts as `serve`", launcher.describe() + ": " + e.getMessage());
            return report.end();
        }
        Thread.ofVirtual().start(() -> collect(process, output));
        try {
            report.pass("starts as `serve`", launcher.describe() + " (pid " + process.pid() + ")");
            int port = block.bindPort();
            long deadline = System.nanoTime() + startupTimeout.toNanos();
            boolean listening = awaitListening(port, deadline, process);
            if (!listening) {
                report.fail(
                        "listens on SAGEMAKER_BIND_TO_PORT",
                        process.isAlive()
                                ? "nothing accepted connections on 127.0.0.1:" + port + " within "
                                        + startupTimeout.toSeconds() + " s"
                                : "exited with code " + process.exitValue() + lastLines(output));
                return report.end();
            }
            report.pass("listens on SAGEMAKER_BIND_TO_PORT", "127.0.0.1:" + port);
            try (HttpClient client = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(2))
                    .build()) {
                checkPing(client, port, deadline, report);
                checkInvocations(client, port, report);
            }
        } finally {
            checkStop(process, report, output);
            launcher.afterStop(request);
            ports.release(block);
        }
        return report.end();
    }

    private ContainerDefinition definition() throws IOException {
        ObjectNode pipeline = JSON.createObjectNode();
        pipeline.put("ModelName", "check");
        ObjectNode primary = pipeline.putObject("PrimaryContainer");
        primary.put("ContainerHostname", "container");
        primary.put("Image", image);
        if (modelData != null) {
            primary.put("ModelDataUrl", modelData);
        }
        ObjectNode env = primary.putObject("Environment");
        environment.forEach(env::put);
        return new PipelineParser()
                .parse(JSON.writeValueAsBytes(pipeline), Path.of("").toAbsolutePath())
                .containers()
                .get(0);
    }

    private static ProcessLauncher launcher(ContainerDefinition container) {
        return switch (container.image()) {
            case ImageRef.Exec exec ->
                ProgramLauncher.of(
                        exec,
                        container.hostname(),
                        "bubblewrap".equals(container.environment().get("TANDEM_SANDBOX")));
            case ImageRef.Oci oci ->
                new OciLauncher(
                        ContainerEngine.detect(System.getenv())
                                .orElseThrow(() -> new IllegalArgumentException(
                                        "image " + oci.spec() + " needs Podman or Docker; neither is on the PATH")),
                        oci.spec(),
                        "check-container");
            default ->
                throw new IllegalArgumentException(
                        "check-container runs exec:PATH programs and container images, not " + container.image());
        };
    }

    private static boolean awaitListening(int port, long deadline, Process process) throws InterruptedException {
        while (System.nanoTime() < deadline && process.isAlive()) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 250);
                return true;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        return false;
    }

    private static void checkPing(HttpClient client, int port, long deadline, Report report)
            throws InterruptedException {
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            long started = System.nanoTime();
            try {
                HttpResponse<String> ping = client.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ping"))
                                .timeout(Duration.ofSeconds(2))
                                .GET()
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                long millis = (System.nanoTime() - started) / 1_000_000;
                if (ping.statusCode() == 200) {
                    report.pass("answers GET /ping with 200 within 2 s", millis + " ms");
                    return;
                }
                last = "HTTP " + ping.statusCode();
            } catch (IOException e) {
                last = String.valueOf(e.getMessage());
            }
            Thread.sleep(200);
        }
        report.fail("answers GET /ping with 200 within 2 s", last);
    }

    private void checkInvocations(HttpClient client, int port, Report report) throws InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/invocations"))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (accept != null) {
            request.header("Accept", accept);
        }
        long started = System.nanoTime();
        try {
            HttpResponse<byte[]> answer = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            long millis = (System.nanoTime() - started) / 1_000_000;
            String text = new String(answer.body(), StandardCharsets.UTF_8);
            String detail = "HTTP " + answer.statusCode() + ", "
                    + answer.headers().firstValue("Content-Type").orElse("no Content-Type")
                    + ", " + answer.body().length + " bytes in " + millis + " ms: "
                    + (text.length() > 200 ? text.substring(0, 200) + "…" : text).strip();
            if (answer.statusCode() / 100 == 2) {
                report.pass("answers POST /invocations (" + contentType + ")", detail);
            } else {
                report.fail("answers POST /invocations (" + contentType + ")", detail);
            }
        } catch (IOException e) {
            report.fail("answers POST /invocations (" + contentType + ")", String.valueOf(e.getMessage()));
        }
    }

    private void checkStop(Process process, Report report, List<String> output) {
        if (!process.isAlive()) {
            report.fail(
                    "stops on SIGTERM", "it had already exited with code " + process.exitValue() + lastLines(output));
            return;
        }
        long started = System.nanoTime();
        process.toHandle().destroy();
        try {
            if (process.waitFor(stopGrace.toMillis(), TimeUnit.MILLISECONDS)) {
                report.pass("stops on SIGTERM", "exited in " + (System.nanoTime() - started) / 1_000_000 + " ms");
            } else {
                process.destroyForcibly();
                report.fail("stops on SIGTERM", "still running after " + stopGrace.toSeconds() + " s; killed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    private static void collect(Process process, List<String> output) {
        try (BufferedReader reader =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                output.add(line);
            }
        } catch (IOException e) {
            // the process is gone
        }
    }

    private static String lastLines(List<String> output) {
        List<String> tail = new ArrayList<>(output.subList(Math.max(0, output.size() - 5), output.size()));
        return tail.isEmpty() ? "" : "; its last output:\n      " + String.join("\n      ", tail);
    }

    /** Prints each point as it is decided; the exit status says whether all passed. */
    private static final class Report {
        private final PrintWriter out;
        private int failures;

        Report(PrintWriter out) {
            this.out = out;
        }

        void pass(String point, String detail) {
            out.println("PASS  " + point + " — " + detail);
            out.flush();
        }

        void fail(String point, String detail) {
            failures++;
            out.println("FAIL  " + point + " — " + detail);
            out.flush();
        }

        int end() {
            out.println(failures == 0 ? "The container honours the contract." : failures + " point(s) failed.");
            out.flush();
            return failures == 0 ? 0 : 1;
        }
    }
}
