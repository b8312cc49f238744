package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.it.support.CliProcess;
import dev.tandem.it.support.ShoutStageProvider;
import dev.tandem.it.support.TandemFixture;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's path, as a newcomer walks it: {@code tandem serve examples/iris/pipeline.json},
 * {@code tandem invoke}, Ctrl-C — with the real example containers as child processes.
 */
class CommandLineIT {
    private static final Pattern ENDPOINT_LINE =
            Pattern.compile("Endpoint iris: POST (http://127\\.0\\.0\\.1:\\d+)/endpoints/iris/invocations");
    private static final List<String> LABELS = List.of("setosa", "versicolor", "virginica");
    private static final Pattern ECHO_LINE = Pattern.compile("Endpoint echo: POST (http://127\\.0\\.0\\.1:\\d+)/");

    @TempDir
    Path workDir;

    @Test
    void irisExampleClassifiesTheIrisDataAndStopsCleanlyOnSigterm() throws Exception {
        try (CliProcess serve = serveIris()) {
            String url = awaitIris(serve);

            Path rows = workDir.resolve("rows.csv");
            List<Integer> truth = new ArrayList<>();
            StringBuilder csv = new StringBuilder();
            for (String line : Files.readAllLines(CliProcess.repositoryRoot().resolve("examples/iris/data/iris.csv"))
                    .subList(1, 151)) {
                int last = line.lastIndexOf(',');
                csv.append(line, 0, last).append('\n');
                truth.add(Integer.parseInt(line.substring(last + 1).strip()));
            }
            Files.writeString(rows, csv);

            CliProcess invoke = CliProcess.run(List.of(
                    "invoke", "iris", "--url", url, "--content-type", "text/csv", "--file", rows.toString(), "-v"));

            assertThat(invoke.awaitExit(Duration.ofSeconds(5)))
                    .as(invoke.stderr())
                    .isZero();
            assertThat(invoke.stderr())
                    .contains("server-timing: preprocess;dur=")
                    .contains("model;dur=")
                    .contains("postprocess;dur=");
            Matcher labels = Pattern.compile("\"label\":\"(\\w+)\"").matcher(invoke.stdout());
            int correct = 0;
            int total = 0;
            while (labels.find()) {
                correct += LABELS.indexOf(labels.group(1)) == truth.get(total) ? 1 : 0;
                total++;
            }
            assertThat(total).isEqualTo(150);
            assertThat(correct / 150.0).as("accuracy on iris").isGreaterThan(0.95);

            List<ProcessHandle> containers = serve.process().descendants().toList();
            assertThat(containers).hasSizeGreaterThanOrEqualTo(3);
            // SIGTERM, as Ctrl-C or a service manager sends. (Process.destroy() would also close our end
            // of its output pipes, and we want to read what it says while stopping.)
            serve.process().toHandle().destroy();
            int exit = serve.awaitExit(Duration.ofSeconds(60));
            assertThat(exit).as("exit status; stderr: %s", serve.stderr()).isEqualTo(143);
            assertThat(containers).noneMatch(ProcessHandle::isAlive);
            assertThat(serve.stderr()).contains("Tandem stopped");
        }
    }

    @Test
    void modelDataUnpacksAnArchiveAsAnInstancePodsInitContainerDoesAndRefusesWhatItCannotFetch() {
        Path archive = CliProcess.repositoryRoot().resolve("examples/penguins/model/xgboost.tar.gz");
        Path target = workDir.resolve("opt-ml-model");

        CliProcess fetched =
                CliProcess.run(List.of("model-data", archive.toUri().toString(), target.toString()));

        assertThat(fetched.awaitExit(Duration.ofSeconds(30)))
                .as(fetched.stderr())
                .isZero();
        assertThat(target.resolve("xgboost-model.json")).isRegularFile();

        CliProcess missing = CliProcess.run(List.of("model-data", "file:/nonexistent/model.tar.gz", target.toString()));
        assertThat(missing.awaitExit(Duration.ofSeconds(30))).isEqualTo(2);
        assertThat(missing.stderr()).startsWith("error: ModelDataUrl").contains("/nonexistent/model.tar.gz");
        CliProcess notS3Archive = CliProcess.run(List.of("model-data", "s3://bucket/model/", target.toString()));
        assertThat(notS3Archive.awaitExit(Duration.ofSeconds(30))).isEqualTo(2);
        assertThat(notS3Archive.stderr()).contains("must be a .tar.gz archive");
    }

    @Test
    void aKilledServerIsRestartedWithItsEndpointsAndNoLeftoverProcess() throws Exception {
        List<ProcessHandle> orphans;
        try (CliProcess serve = serveIris()) {
            awaitIris(serve);
            orphans = serve.process().descendants().toList();
            serve.process().toHandle().destroyForcibly(); // SIGKILL: no shutdown hook runs
            serve.awaitExit(Duration.ofSeconds(30));
        }
        assertThat(orphans).hasSizeGreaterThanOrEqualTo(3).allMatch(ProcessHandle::isAlive);

        try (CliProcess restarted = serveIris()) {
            String url = awaitIris(restarted);

            assertThat(orphans).noneMatch(ProcessHandle::isAlive);
            assertThat(restarted.stderr()).contains("left running");
            CliProcess invoke = CliProcess.run(
                    List.of("invoke", "iris", "--url", url, "--content-type", "text/csv", "--body", "6.7,3.0,5.2,2.3"));
            assertThat(invoke.awaitExit(Duration.ofSeconds(5))).isZero();
            assertThat(invoke.stdout()).contains("virginica");
        }
    }

    @Test
    void anEndpointThatFailedStartsAgainWhenItsPipelineIsServedAgain() throws Exception {
        Path model = workDir.resolve("model.bin");
        Path pipeline = needsModelPipeline(model);
        List<String> serveArgs = serveEcho(pipeline);

        try (CliProcess serve = CliProcess.start(serveArgs)) {
            String url = serve.awaitStderr(ECHO_LINE, Duration.ofSeconds(60)).group(1);
            serve.awaitStderr(Pattern.compile("Endpoint echo failed"), Duration.ofSeconds(60));
            CliProcess endpoints = CliProcess.run(List.of("endpoints", "--url", url));
            assertThat(endpoints.awaitExit(Duration.ofSeconds(30))).isZero();
            assertThat(endpoints.stdout()).contains("Failed").contains("failed 3 times");
            stop(serve);
        }

        Files.writeString(model, "weights");
        try (CliProcess serve = CliProcess.start(serveArgs)) {
            String url = serve.awaitStderr(ECHO_LINE, Duration.ofSeconds(60)).group(1);
            serve.awaitStderr(
                    Pattern.compile(
                            "Endpoint echo failed when last started \\(.*failed 3 times.*\\); starting it again"),
                    Duration.ofSeconds(30));
            awaitEchoAnswers(serve, url);
            CliProcess endpoints = CliProcess.run(List.of("endpoints", "--url", url));
            assertThat(endpoints.awaitExit(Duration.ofSeconds(30))).isZero();
            assertThat(endpoints.stdout()).contains("InService").doesNotContain("failed 3 times");
        }
    }

    @Test
    void aFailedEndpointRunsItsMendedPipelineFileButARunningOneKeepsItsOwn() throws Exception {
        Files.writeString(workDir.resolve("model.bin"), "weights");
        Path pipeline = needsModelPipeline(workDir.resolve("misspelt-model.bin"));
        List<String> serveArgs = serveEcho(pipeline);
        try (CliProcess serve = CliProcess.start(serveArgs)) {
            serve.awaitStderr(Pattern.compile("Endpoint echo failed"), Duration.ofSeconds(60));
            stop(serve);
        }

        // The file itself mended: its new definition replaces the stored one, and the endpoint runs it.
        needsModelPipeline(workDir.resolve("model.bin"));
        try (CliProcess serve = CliProcess.start(serveArgs)) {
            String url = serve.awaitStderr(ECHO_LINE, Duration.ofSeconds(60)).group(1);
            serve.awaitStderr(
                    Pattern.compile("Model echo replaced by its pipeline file's new definition"),
                    Duration.ofSeconds(30));
            awaitEchoAnswers(serve, url);
            stop(serve);
        }

        // A running endpoint is not swapped for an edited file behind its back; refusing stops the
        // server while the endpoint is still starting, which leaves it to start with the next run.
        needsModelPipeline(workDir.resolve("another-model.bin"));
        CliProcess refused = CliProcess.run(serveArgs);
        assertThat(refused.awaitExit(Duration.ofSeconds(60))).isEqualTo(2);
        assertThat(refused.stderr())
                .contains("error: Pipeline file " + pipeline)
                .contains("Model echo already exists in this data dir with a different definition,"
                        + " and its endpoint runs it")
                .doesNotContain("Endpoint echo failed");

        needsModelPipeline(workDir.resolve("model.bin"));
        try (CliProcess serve = CliProcess.start(serveArgs)) {
            String url = serve.awaitStderr(ECHO_LINE, Duration.ofSeconds(60)).group(1);
            serve.awaitStderr(Pattern.compile("Endpoint echo restoring"), Duration.ofSeconds(30));
            awaitEchoAnswers(serve, url);
            assertThat(serve.stderr()).doesNotContain("failed when last started");
        }
    }

    /**
     * Writes {@code echo.json}: one container that cannot start until the file its {@code MODEL}
     * names is there, as a newcomer's often cannot until a missing piece is mended.
     */
    private Path needsModelPipeline(Path model) throws Exception {
        Path container = workDir.resolve("needs-model");
        if (!Files.exists(container)) {
            TandemFixture.writeContainerScript(workDir.resolve("test-container"));
            Files.createDirectories(container);
            Files.writeString(
                    container.resolve("serve"),
                    "#!/bin/sh\n[ -f \"$MODEL\" ] || { echo \"no model at $MODEL\" >&2; exit 1; }\nexec '"
                            + workDir.resolve("test-container/serve") + "' \"$@\"\n");
            Files.setPosixFilePermissions(container.resolve("serve"), PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        Path pipeline = workDir.resolve("echo.json");
        Files.writeString(
                pipeline,
                "{\"ModelName\": \"echo\", \"PrimaryContainer\": {\"ContainerHostname\": \"echo\", \"Image\": \"exec:"
                        + container + "\", \"Environment\": {\"MODEL\": \"" + model + "\"}}}");
        return pipeline;
    }

    private List<String> serveEcho(Path pipeline) {
        return List.of(
                "serve", "--port", "0", "--data-dir", workDir.resolve("data").toString(), pipeline.toString());
    }

    /** Waits for the echo endpoint to be InService, then invokes it through the CLI. */
    private static void awaitEchoAnswers(CliProcess serve, String url) {
        serve.awaitStderr(Pattern.compile("Endpoint echo is InService"), Duration.ofSeconds(60));
        CliProcess invoke =
                CliProcess.run(List.of("invoke", "echo", "--url", url, "--content-type", "text/plain", "--body", "hi"));
        assertThat(invoke.awaitExit(Duration.ofSeconds(30))).as(invoke.stderr()).isZero();
        assertThat(invoke.stdout()).contains("hi");
    }

    /** SIGTERM, as Ctrl-C sends, and the server gone. */
    private static void stop(CliProcess serve) {
        serve.process().toHandle().destroy();
        serve.awaitExit(Duration.ofSeconds(60));
    }

    @Test
    void invokeReportsTheErrorWithItsCodeAndFailsWithStatusOne() throws Exception {
        try (CliProcess serve = serveIris()) {
            String url = awaitIris(serve);

            CliProcess unknown = CliProcess.run(List.of("invoke", "nosuch", "--url", url, "--body", "1,2,3,4"));
            CliProcess badRow = CliProcess.run(
                    List.of("invoke", "iris", "--url", url, "--content-type", "text/csv", "--body", "1,2,3"));

            CliProcess logs = CliProcess.run(List.of("logs", "iris", "--url", url, "--container", "preprocess"));
            assertThat(logs.awaitExit(Duration.ofSeconds(5))).as(logs.stderr()).isZero();
            assertThat(logs.stdout())
                    .containsPattern("i-\\d+/preprocess stdout: preprocess listening on port \\d+")
                    .contains("preprocess tandem: healthy")
                    .doesNotContain("/model ");
            CliProcess noLogs = CliProcess.run(List.of("logs", "nosuch", "--url", url));
            assertThat(noLogs.awaitExit(Duration.ofSeconds(5))).isEqualTo(1);
            assertThat(noLogs.stderr()).contains("ValidationError: Endpoint nosuch of account 000000000000 not found.");

            CliProcess endpoints = CliProcess.run(List.of("endpoints", "--url", url));
            assertThat(endpoints.awaitExit(Duration.ofSeconds(5)))
                    .as(endpoints.stderr())
                    .isZero();
            assertThat(endpoints.stdout()).containsPattern("iris\\s+InService\\s+.*AllTraffic \\(1/1, 1\\.00\\)");

            assertThat(unknown.awaitExit(Duration.ofSeconds(5))).isEqualTo(1);
            assertThat(unknown.stderr())
                    .contains("ValidationError (400): Endpoint nosuch of account 000000000000 not found.");
            assertThat(badRow.awaitExit(Duration.ofSeconds(5))).isEqualTo(1);
            assertThat(badRow.stderr())
                    .contains("ModelError (424): Received client error (400) from preprocess")
                    .contains("original message: row 1 has 3 columns; expected 4");
        }
    }

    @Test
    void serveRefusesToListenBeyondLoopbackWithoutAccessKeys() {
        CliProcess serve = CliProcess.run(List.of(
                "serve",
                "--host",
                "0.0.0.0",
                "--port",
                "0",
                "--data-dir",
                workDir.resolve("open").toString()));

        assertThat(serve.awaitExit(Duration.ofSeconds(30))).isEqualTo(2);
        assertThat(serve.stderr())
                .contains("Refusing to listen on 0.0.0.0 without access keys")
                .contains("--allow-unauthenticated");
        assertThat(workDir.resolve("open")).doesNotExist();
    }

    @Test
    void serveRefusesANamespaceWithoutKubernetes() {
        CliProcess serve = CliProcess.run(List.of("serve", "--namespace", "tandem", "--port", "0"));

        assertThat(serve.awaitExit(Duration.ofSeconds(30))).isEqualTo(2);
        assertThat(serve.stderr()).contains("give --kubernetes with it");
    }

    @Test
    void serveRefusesAnInvalidPipelineNamingEveryProblem() throws Exception {
        Path pipeline = workDir.resolve("bad.json");
        Files.writeString(
                pipeline,
                """
        {"ModelName": "bad", "Containers": [
          {"ContainerHostname": "a", "Image": "exec:x", "Environmnet": {}},
          {"ContainerHostname": "a", "Image": 42}
        ]}
        """);

        CliProcess serve = CliProcess.run(List.of("serve", "--port", "0", pipeline.toString()));

        assertThat(serve.awaitExit(Duration.ofSeconds(5))).isEqualTo(2);
        assertThat(serve.stderr())
                .contains("Containers[1].Environmnet is not a known member")
                .contains("Containers[2].Image must be a string, got the number 42");
    }

    @Test
    void usersOwnStageIsFoundInAJarOnTheStagePath() throws Exception {
        Path jar = workDir.resolve("shout-stage.jar");
        packStage(jar, ShoutStageProvider.class);
        Path pipeline = workDir.resolve("shout.json");
        Files.writeString(
                pipeline,
                """
        {"ModelName": "shout", "PrimaryContainer": {"Image": "builtin:shout", "Environment": {"SUFFIX": "!!"}}}
        """);

        try (CliProcess serve = CliProcess.start(List.of(
                "serve",
                "--port",
                "0",
                "--data-dir",
                workDir.resolve("data").toString(),
                "--stage-path",
                jar.toString(),
                pipeline.toString()))) {
            String url = serve.awaitStderr(
                            Pattern.compile("Endpoint shout: POST (http://127\\.0\\.0\\.1:\\d+)/"),
                            Duration.ofSeconds(60))
                    .group(1);
            CliProcess ok = CliProcess.run(
                    List.of("invoke", "shout", "--url", url, "--content-type", "text/plain", "--body", "hello"));
            CliProcess refused = CliProcess.run(
                    List.of("invoke", "shout", "--url", url, "--content-type", "application/json", "--body", "{}"));

            assertThat(ok.awaitExit(Duration.ofSeconds(5))).as(ok.stderr()).isZero();
            assertThat(ok.stdout()).isEqualTo("HELLO!!");
            assertThat(refused.awaitExit(Duration.ofSeconds(5))).isEqualTo(1);
            assertThat(refused.stderr())
                    .contains(
                            "Received client error (400) from primary with message \"shout reads text, got application/json\"");
            assertThat(serve.stderr())
                    .containsPattern("In-process stages: builtin:feature-lookup, builtin:identity, .*builtin:shout");
        }
    }

    @Test
    void logsFollowPrintsContainerOutputAsItComes() throws Exception {
        TandemFixture.writeContainerScript(workDir.resolve("test-container"));
        Path pipeline = workDir.resolve("echo.json");
        Files.writeString(
                pipeline,
                "{\"ModelName\": \"echo\", \"PrimaryContainer\": {\"ContainerHostname\": \"echo\", \"Image\": \"exec:"
                        + workDir.resolve("test-container") + "\"}}");
        try (CliProcess serve = CliProcess.start(List.of(
                "serve", "--port", "0", "--data-dir", workDir.resolve("data").toString(), pipeline.toString()))) {
            String url = serve.awaitStderr(
                            Pattern.compile("Endpoint echo: POST (http://127\\.0\\.0\\.1:\\d+)/"),
                            Duration.ofSeconds(60))
                    .group(1);
            try (CliProcess follow = CliProcess.start(List.of("logs", "echo", "--url", url, "--follow"))) {
                follow.awaitStdout("test container", 1, Duration.ofSeconds(60));

                for (int i = 0; i < 2; i++) {
                    CliProcess invoke = CliProcess.run(
                            List.of("invoke", "echo", "--url", url, "--content-type", "text/plain", "--body", "hi"));
                    assertThat(invoke.awaitExit(Duration.ofSeconds(30)))
                            .as(invoke.stderr())
                            .isZero();
                }

                follow.awaitStdout("echo stdout: invocation of 2 bytes", 2, Duration.ofSeconds(15));
                assertThat(follow.process().isAlive()).isTrue();
            }
        }
    }

    @Test
    void withoutTheStagePathTheUsersStageIsUnknown() throws Exception {
        Path pipeline = workDir.resolve("shout.json");
        Files.writeString(
                pipeline,
                """
        {"ModelName": "shout", "PrimaryContainer": {"Image": "builtin:shout"}}
        """);

        CliProcess serve = CliProcess.run(List.of(
                "serve", "--port", "0", "--data-dir", workDir.resolve("data").toString(), pipeline.toString()));

        assertThat(serve.awaitExit(Duration.ofSeconds(5))).isEqualTo(2);
        assertThat(serve.stderr()).contains("builtin:shout is not a known stage; available: feature-lookup, identity");
    }

    /** Packs one class and its service registration into a jar, as a user's build would. */
    private static void packStage(Path jar, Class<?> provider) throws Exception {
        String entry = provider.getName().replace('.', '/') + ".class";
        try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar));
                var classBytes = provider.getClassLoader().getResourceAsStream(entry)) {
            out.putNextEntry(new java.util.jar.JarEntry(entry));
            classBytes.transferTo(out);
            out.closeEntry();
            out.putNextEntry(new java.util.jar.JarEntry("META-INF/services/dev.tandem.core.stage.StageProvider"));
            out.write((provider.getName() + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            out.closeEntry();
        }
    }

    @Test
    void jsonLogsCarryTheContainersFields() throws Exception {
        Path pipeline = workDir.resolve("one.json");
        Files.writeString(
                pipeline,
                """
                {"ModelName": "one", "PrimaryContainer": {"Image": "builtin:identity"}}
                """);
        try (CliProcess serve = CliProcess.start(
                List.of(
                        "serve",
                        "--port",
                        "0",
                        "--data-dir",
                        workDir.resolve("data").toString(),
                        pipeline.toString()),
                Map.of("TANDEM_LOG_FORMAT", "json"))) {
            String line = serve.awaitStderr(
                            Pattern.compile("^\\{.*\"container\":\"primary\".*$"), Duration.ofSeconds(60))
                    .group();
            JsonNode json = new ObjectMapper().readTree(line);

            assertThat(json.path("level").asText()).isEqualTo("INFO");
            assertThat(json.path("message").asText()).contains("[one/i-");
            assertThat(json.toString()).contains("\"endpoint\":\"one\"").contains("\"stream\":\"tandem\"");
        }
    }

    @Test
    void serveMovesBytesOnTheTransportAskedForAndRefusesAnUnknownOne() throws Exception {
        CliProcess unknown = CliProcess.run(List.of("serve", "--io-transport", "kqueue2", "--port", "0"));

        assertThat(unknown.awaitExit(Duration.ofSeconds(30))).isEqualTo(2);
        assertThat(unknown.stderr()).contains("io-transport must be one of auto, io_uring, epoll, nio; was 'kqueue2'");

        // A machine without Netty's native transports, as Netty's own switch makes one.
        Map<String, String> noNative = Map.of("JDK_JAVA_OPTIONS", "-Dio.netty.transport.noNative=true");
        CliProcess refused = CliProcess.start(
                List.of(
                        "serve",
                        "--io-transport",
                        "io_uring",
                        "--port",
                        "0",
                        "--data-dir",
                        workDir.resolve("refused").toString()),
                noNative);

        assertThat(refused.awaitExit(Duration.ofSeconds(30))).isEqualTo(2);
        assertThat(refused.stderr()).contains("error: the io_uring transport is not available here: ");
        assertThat(workDir.resolve("refused")).doesNotExist();

        // There the default (auto) falls back to Java's own NIO, and serves.
        try (CliProcess serve = serveIris(noNative)) {
            awaitIris(serve);
            assertThat(serve.stderr()).contains("nio transport)");
        }
    }

    @Test
    void clientsThatResetTheirConnectionsAreNoErrorInTheServersLog() throws Exception {
        try (CliProcess serve = serveIris()) {
            String url = awaitIris(serve);
            URI server = URI.create(url);
            for (int i = 0; i < 3; i++) {
                try (Socket client = new Socket(server.getHost(), server.getPort())) {
                    client.getOutputStream()
                            .write(("POST /endpoints/iris/invocations HTTP/1.1\r\nHost: tandem\r\n"
                                            + "Content-Type: text/csv\r\nContent-Length: 100\r\n\r\n5.1,3.5")
                                    .getBytes(StandardCharsets.US_ASCII));
                    client.getOutputStream().flush();
                    TandemFixture.sleep(Duration.ofMillis(50));
                    // Closed with a reset, half way through its body.
                    client.setSoLinger(true, 0);
                }
            }
            TandemFixture.sleep(Duration.ofMillis(500));

            awaitServing(url);
            assertThat(serve.stderr()).doesNotContain("ERROR");
        }
    }

    @Test
    void helpExplainsTheCommands() {
        CliProcess help = CliProcess.run(List.of("serve", "--help"));

        assertThat(help.awaitExit(Duration.ofSeconds(5))).isZero();
        assertThat(help.stdout()).contains("--port").contains("--data-dir").contains("PIPELINE");
    }

    /** {@code tandem serve examples/iris/pipeline.json}, as the README's quick start runs it. */
    private CliProcess serveIris() {
        return serveIris(Map.of());
    }

    /** The same, with {@code environment} added to the server's. */
    private CliProcess serveIris(Map<String, String> environment) {
        return CliProcess.start(
                List.of(
                        "serve",
                        "--port",
                        "0",
                        "--data-dir",
                        workDir.resolve("data").toString(),
                        "examples/iris/pipeline.json"),
                environment);
    }

    /** The URL {@code serve} printed, once the iris endpoint answers. */
    private static String awaitIris(CliProcess serve) throws Exception {
        String url = serve.awaitStderr(ENDPOINT_LINE, Duration.ofSeconds(60)).group(1);
        awaitServing(url);
        return url;
    }

    private static void awaitServing(String url) throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            HttpResponse<String> response = client.send(
                    HttpRequest.newBuilder(URI.create(url + "/endpoints/iris/invocations"))
                            .header("Content-Type", "text/csv")
                            .POST(HttpRequest.BodyPublishers.ofString("5.1,3.5,1.4,0.2"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 200) {
                return;
            }
            assertThat(response.statusCode()).as(response.body()).isEqualTo(429);
            assertThat(System.nanoTime()).as("iris in service").isLessThan(deadline);
            TandemFixture.sleep(Duration.ofMillis(100));
        }
    }
}
