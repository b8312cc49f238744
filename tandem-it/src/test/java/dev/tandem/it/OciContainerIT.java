package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.it.support.TandemFixture;
import dev.tandem.runtime.oci.ContainerEngine;
import dev.tandem.server.endpoint.Endpoint;
import dev.tandem.server.endpoint.ServerlessConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Container images run by Podman (or Docker), built here from a {@code FROM scratch}
 * Containerfile holding a static busybox and a contract script: one image labelled to bind to
 * SageMaker's port (host network), one that listens on 8080 (published on loopback), in one
 * pipeline. Skipped where no engine is installed, unless {@code TANDEM_REQUIRE_OCI} is set (CI).
 */
class OciContainerIT {
    static final String PLAIN = "localhost/tandem-it-contract:plain";
    static final String BIND = "localhost/tandem-it-contract:bind";

    @TempDir
    Path workDir;

    static ContainerEngine engine;

    @BeforeAll
    static void buildImages(@TempDir Path context) throws Exception {
        Optional<ContainerEngine> found = ContainerEngine.detect(System.getenv());
        boolean required = System.getenv("TANDEM_REQUIRE_OCI") != null;
        assumeTrue(required || found.isPresent(), "no Podman or Docker on this machine");
        engine = found.orElseThrow(() -> new AssertionError("TANDEM_REQUIRE_OCI is set but no engine was found"));
        for (String file : List.of("Containerfile", "serve", "handler")) {
            try (InputStream in = Objects.requireNonNull(OciContainerIT.class.getResourceAsStream("/oci/" + file))) {
                Files.copy(in, context.resolve(file), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        context.resolve("serve").toFile().setExecutable(true);
        context.resolve("handler").toFile().setExecutable(true);
        Files.copy(Path.of("/bin/busybox"), context.resolve("busybox"));
        Files.writeString(
                context.resolve("Labelled"),
                "FROM " + PLAIN + "\nLABEL " + ContainerEngine.BIND_TO_PORT_LABEL + "=true\n");
        run(context, engine.binary(), "build", "-t", PLAIN, "-f", "Containerfile", ".");
        run(context, engine.binary(), "build", "-t", BIND, "-f", "Labelled", ".");
    }

    @Test
    void imagesOnTheHostNetworkAndOnAPublishedPortServeOnePipeline() throws IOException {
        Path model = Files.createDirectories(workDir.resolve("model"));
        Files.writeString(model.resolve("greeting"), "hello");
        try (TandemFixture tandem = TandemFixture.start(workDir)) {
            Endpoint endpoint = tandem.deployAndAwait(
                    """
                    {"ModelName": "oci-pipeline", "Containers": [
                      {"ContainerHostname": "first", "Image": "%s", "ModelDataUrl": "file:%s",
                       "Environment": {"TAG": "bind"}},
                      {"ContainerHostname": "second", "Image": "%s", "ModelDataUrl": "file:%s",
                       "Environment": {"TAG": "plain"}}]}
                    """
                            .formatted(BIND, model, PLAIN, model));

            HttpResponse<String> answer = tandem.invoke("oci-pipeline", "x", "Content-Type", "text/plain");

            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            assertThat(answer.body()).isEqualTo("plain[hello]:bind[hello]:x");
            var containers = endpoint.variants().get(0).instances().get(0).containers();
            assertThat(containers.get(0).recentLogs()).anySatisfy(line -> assertThat(line)
                    .containsPattern("contract container on port \\d+; model: greeting"));
            assertThat(containers.get(1).recentLogs())
                    .anySatisfy(line -> assertThat(line).contains("contract container on port 8080"));
            assertThat(labelled("dev.tandem.endpoint=oci-pipeline")).hasSize(2);
        }
        assertThat(labelled("dev.tandem.endpoint=oci-pipeline"))
                .as("no container left after stop")
                .isEmpty();
    }

    @Test
    void aServerlessPipelineStartsItsImageOnDemandHeldToItsMemorySize() throws Exception {
        Path model = Files.createDirectories(workDir.resolve("model"));
        Files.writeString(model.resolve("greeting"), "hi");
        try (TandemFixture tandem = TandemFixture.start(workDir)) {
            tandem.server()
                    .servePipelineFile(
                            Files.writeString(
                                    workDir.resolve("serverless.json"),
                                    """
                                    {"ModelName": "oci-serverless", "Containers": [
                                      {"ContainerHostname": "first", "Image": "builtin:identity"},
                                      {"ContainerHostname": "second", "Image": "%s", "ModelDataUrl": "file:%s",
                                       "Environment": {"TAG": "image"}}]}
                                    """
                                            .formatted(PLAIN, model)),
                            null,
                            new ServerlessConfig(1024, 2, 0));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!tandem.server()
                    .controlPlane()
                    .endpoint("oci-serverless")
                    .status()
                    .equals("InService")) {
                assertThat(System.nanoTime()).as("in service").isLessThan(deadline);
                TandemFixture.sleep(Duration.ofMillis(50));
            }
            assertThat(labelled("dev.tandem.endpoint=oci-serverless"))
                    .as("nothing runs while idle")
                    .isEmpty();

            HttpResponse<String> answer = tandem.invoke("oci-serverless", "x", "Content-Type", "text/plain");

            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            assertThat(answer.body()).isEqualTo("image[hi]:x");
            List<String> started = labelled("dev.tandem.endpoint=oci-serverless");
            assertThat(started).hasSize(1);
            Process inspect = new ProcessBuilder(
                            engine.binary(), "inspect", "--format", "{{.HostConfig.Memory}}", started.get(0))
                    .redirectErrorStream(true)
                    .start();
            String memory = new String(inspect.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertThat(memory).as("MemorySizeInMB as the engine's limit").isEqualTo(Long.toString(1024L * 1024 * 1024));
        }
        assertThat(labelled("dev.tandem.endpoint=oci-serverless"))
                .as("no container left after stop")
                .isEmpty();
    }

    @Test
    void aMissingImageFailsTheEndpointNamingIt() {
        try (TandemFixture tandem = TandemFixture.start(workDir)) {
            tandem.server()
                    .servePipeline(
                            """
                            {"ModelName": "no-image", "Containers": [
                              {"ContainerHostname": "ghost", "Image": "localhost/tandem-no-such-image:1"}]}
                            """
                                    .getBytes(StandardCharsets.UTF_8),
                            workDir);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!tandem.server().controlPlane().endpoint("no-image").status().equals("Failed")) {
                assertThat(System.nanoTime()).as("endpoint failed").isLessThan(deadline);
                TandemFixture.sleep(Duration.ofMillis(100));
            }
            assertThat(tandem.server().controlPlane().endpoint("no-image").failureReason())
                    .contains("ghost", "cannot pull image localhost/tandem-no-such-image:1");
        }
    }

    @Test
    void containersAPreviousServerLeftBehindAreRemovedOnStart() throws Exception {
        Path data = workDir.resolve("data").toAbsolutePath().normalize();
        byte[] digest =
                MessageDigest.getInstance("SHA-256").digest(data.toString().getBytes(StandardCharsets.UTF_8));
        String serverId = HexFormat.of().formatHex(digest, 0, 8);
        run(
                workDir,
                engine.binary(),
                "run",
                "-d",
                "--name",
                "tandem-leftover-" + serverId,
                "--label",
                "dev.tandem.server=" + serverId,
                PLAIN,
                "sleep",
                "600");
        assertThat(labelled("dev.tandem.server=" + serverId)).hasSize(1);

        try (TandemFixture tandem = TandemFixture.start(workDir)) {
            assertThat(labelled("dev.tandem.server=" + serverId)).isEmpty();
            assertThat(tandem.server().endpoints().all()).isEmpty();
        }
    }

    private static List<String> labelled(String label) throws IOException {
        Process ps = new ProcessBuilder(engine.binary(), "ps", "--all", "--quiet", "--filter", "label=" + label)
                .redirectErrorStream(true)
                .start();
        String output = new String(ps.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return output.lines().filter(line -> !line.isBlank()).toList();
    }

    private static void run(Path folder, String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command)
                .directory(folder.toFile())
                .redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(process.exitValue())
                .as(String.join(" ", command) + "\n" + output)
                .isZero();
    }
}
