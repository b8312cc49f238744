package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tandem.core.error.ValidationException;
import dev.tandem.it.support.TandemFixture;
import dev.tandem.it.support.TestContainer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Direct mode, the contract environment, model data, and pipelines that mix the exec, http and
 * builtin runtimes.
 */
class PipelineFeaturesIT {
    private static final Pattern ENV =
            Pattern.compile("port=(\\d+);safe=(\\d+)-(\\d+);model=([^;]*);files=([^;]*);custom=(.*)");

    @TempDir
    static Path workDir;

    static TandemFixture tandem;
    static Process remote;
    static int remotePort;

    @BeforeAll
    static void start() throws IOException {
        tandem = TandemFixture.start(workDir);
        Path folderModel = Files.createDirectories(workDir.resolve("models/alpha"));
        Files.writeString(folderModel.resolve("vocab.txt"), "a b c");
        writeModelArchive(workDir.resolve("models/beta.tar.gz"));
        tandem.deployAndAwait(
                """
        {"ModelName": "direct", "InferenceExecutionConfig": {"Mode": "Direct"}, "Containers": [
          {"ContainerHostname": "alpha", "Image": "exec:test-container", "ModelDataUrl": "file:models/alpha",
           "Environment": {"BEHAVIOUR": "env", "CUSTOM_SETTING": "from-alpha"}},
          {"ContainerHostname": "beta", "Image": "exec:test-container", "ModelDataUrl": "file:models/beta.tar.gz",
           "Environment": {"BEHAVIOUR": "env", "CUSTOM_SETTING": "from-beta"}}
        ]}
        """);

        remotePort = freePort();
        ProcessBuilder builder = new ProcessBuilder(
                ProcessHandle.current().info().command().orElse("java"),
                "-cp",
                System.getProperty("java.class.path"),
                TestContainer.class.getName());
        builder.environment().put("SAGEMAKER_BIND_TO_PORT", Integer.toString(remotePort));
        builder.environment().put("TAG", "remote");
        builder.environment().put("RESPONSE_CONTENT_TYPE", "application/x-remote");
        builder.redirectErrorStream(true)
                .redirectOutput(workDir.resolve("remote.log").toFile());
        remote = builder.start();
        tandem.deployAndAwait(
                """
        {"ModelName": "mixed", "Containers": [
          {"ContainerHostname": "local", "Image": "exec:test-container",
           "Environment": {"TAG": "local", "RESPONSE_CONTENT_TYPE": "application/x-local"}},
          {"ContainerHostname": "inproc", "Image": "builtin:identity"},
          {"ContainerHostname": "remote", "Image": "http://127.0.0.1:%d"}
        ]}
        """
                        .formatted(remotePort));
    }

    @AfterAll
    static void stop() {
        tandem.close();
        remote.destroy();
    }

    @Test
    void directModeRunsOnlyTheNamedContainer() {
        HttpResponse<String> alpha = invokeDirect("alpha");
        HttpResponse<String> beta = invokeDirect("beta");

        assertThat(alpha.statusCode()).isEqualTo(200);
        assertThat(alpha.body()).endsWith("custom=from-alpha");
        assertThat(alpha.headers().firstValue("Server-Timing").orElseThrow())
                .startsWith("alpha;dur=")
                .doesNotContain("beta");
        assertThat(beta.body()).endsWith("custom=from-beta");
    }

    @Test
    void eachContainerGetsItsOwnPortsAndModelFolder() {
        Matcher alpha = env(invokeDirect("alpha"));
        Matcher beta = env(invokeDirect("beta"));

        int alphaPort = Integer.parseInt(alpha.group(1));
        int betaPort = Integer.parseInt(beta.group(1));
        assertThat(alphaPort).isNotEqualTo(betaPort);
        int alphaFirst = Integer.parseInt(alpha.group(2));
        int alphaLast = Integer.parseInt(alpha.group(3));
        int betaFirst = Integer.parseInt(beta.group(2));
        int betaLast = Integer.parseInt(beta.group(3));
        assertThat(alphaLast < betaFirst || betaLast < alphaFirst)
                .as("safe port ranges do not overlap")
                .isTrue();
        assertThat(betaPort).isNotIn(range(alphaFirst, alphaLast));
        assertThat(alphaPort).isNotIn(range(betaFirst, betaLast));

        assertThat(alpha.group(4)).isEqualTo(workDir.resolve("models/alpha").toString());
        assertThat(alpha.group(5)).isEqualTo("vocab.txt");
        assertThat(Path.of(beta.group(4))).startsWith(workDir.resolve("data/models"));
        assertThat(beta.group(5)).isEqualTo("config+weights.bin");
        assertThat(Path.of(beta.group(4)).resolve("config/settings.txt")).hasContent("threshold=0.5");
    }

    @Test
    void directModeWithoutATargetIsAValidationErrorListingTheContainers() {
        HttpResponse<String> response = tandem.invoke("direct", "x");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("x-amzn-ErrorType")).contains("ValidationError");
        assertThat(response.body())
                .contains("X-Amzn-SageMaker-Target-Container-Hostname")
                .contains("alpha, beta");
    }

    @Test
    void directModeWithAnUnknownTargetIsAValidationError() {
        HttpResponse<String> response = invokeDirect("gamma");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("Target container hostname 'gamma' is not a container of this model");
    }

    @Test
    void execBuiltinAndHttpContainersMixInOnePipeline() {
        HttpResponse<String> response =
                tandem.invoke("mixed", "in", "Content-Type", "text/plain", "Accept", "text/csv");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body())
                .isEqualTo(
                        "in>local(ct=text/plain,accept=null,ca=null)>remote(ct=application/x-local,accept=text/csv,ca=null)");
        assertThat(response.headers().firstValue("Content-Type")).contains("application/x-remote");
        assertThat(response.headers().firstValue("Server-Timing").orElseThrow())
                .matches("local;dur=[0-9.]+, inproc;dur=[0-9.]+, remote;dur=[0-9.]+, tandem;dur=[0-9.]+");
    }

    @Test
    void unknownBuiltinStageIsRefusedListingTheAvailableOnes() {
        assertThatThrownBy(
                        () -> tandem.deploy(
                                """
                    {"ModelName": "nobuiltin", "PrimaryContainer": {"Image": "builtin:no-such-stage"}}
                    """))
                .isInstanceOf(ValidationException.class)
                .hasMessage("builtin:no-such-stage is not a known stage; available: feature-lookup, identity, onnx,"
                        + " postprocess, sse, text-generator, tokenize, transform, xgboost");
        assertThat(tandem.server().endpoints().find("nobuiltin")).isEmpty();
    }

    @Test
    void missingProgramIsRefusedNamingTheContainer() {
        assertThatThrownBy(
                        () -> tandem.deploy(
                                """
                    {"ModelName": "noprogram", "Containers": [
                      {"ContainerHostname": "ok", "Image": "exec:test-container"},
                      {"ContainerHostname": "gone", "Image": "exec:does-not-exist"}]}
                    """))
                .isInstanceOf(ValidationException.class)
                .hasMessageStartingWith("Container gone: exec:does-not-exist does not exist");
        assertThat(tandem.server().endpoints().find("noprogram")).isEmpty();
    }

    @Test
    void missingModelDataIsRefusedNamingTheContainer() {
        assertThatThrownBy(
                        () -> tandem.deploy(
                                """
                    {"ModelName": "nomodel", "PrimaryContainer":
                      {"Image": "exec:test-container", "ModelDataUrl": "file:models/nothing-here"}}
                    """))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("Container primary ModelDataUrl")
                .hasMessageContaining("does not exist");
    }

    private static java.util.List<Integer> range(int first, int last) {
        return java.util.stream.IntStream.rangeClosed(first, last).boxed().toList();
    }

    private static HttpResponse<String> invokeDirect(String container) {
        return tandem.invoke("direct", "x", "X-Amzn-SageMaker-Target-Container-Hostname", container);
    }

    private static Matcher env(HttpResponse<String> response) {
        Matcher matcher = ENV.matcher(response.body());
        assertThat(matcher.matches()).as("env answer %s", response.body()).isTrue();
        return matcher;
    }

    private static void writeModelArchive(Path archive) throws IOException {
        Files.createDirectories(archive.getParent());
        Map<String, String> files = new HashMap<>();
        files.put("weights.bin", "0123456789");
        files.put("config/settings.txt", "threshold=0.5");
        try (OutputStream out = Files.newOutputStream(archive);
                GzipCompressorOutputStream gzip = new GzipCompressorOutputStream(out);
                TarArchiveOutputStream tar = new TarArchiveOutputStream(gzip)) {
            for (var file : files.entrySet()) {
                byte[] bytes = file.getValue().getBytes(StandardCharsets.UTF_8);
                TarArchiveEntry entry = new TarArchiveEntry(file.getKey());
                entry.setSize(bytes.length);
                tar.putArchiveEntry(entry);
                tar.write(bytes);
                tar.closeArchiveEntry();
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void anExecContainerInABubblewrapSandboxSeesSageMakersLayout() throws Exception {
        assumeTrue(
                System.getenv("TANDEM_REQUIRE_OCI") != null || Files.isExecutable(Path.of("/usr/bin/bwrap")),
                "bubblewrap is not installed");
        Path model = Files.createDirectories(workDir.resolve("sandboxed-model"));
        Files.writeString(model.resolve("weights.bin"), "w");
        // A "bring your own container" program that knows only SageMaker's paths: its classes are
        // read from /opt/program, wherever the folder is on the host (even under /tmp, which the
        // sandbox replaces with its own).
        Path program = Files.createDirectories(workDir.resolve("sandboxed-program"));
        Path classes = Path.of(TestContainer.class
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .toURI());
        Path packageDir = Path.of(TestContainer.class.getPackageName().replace('.', '/'));
        Files.createDirectories(program.resolve("classes").resolve(packageDir));
        try (var files = Files.list(classes.resolve(packageDir))) {
            for (Path file : files.filter(f -> f.getFileName().toString().startsWith("TestContainer"))
                    .toList()) {
                Files.copy(file, program.resolve("classes").resolve(packageDir).resolve(file.getFileName()));
            }
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        Files.writeString(
                program.resolve("serve"),
                "#!/bin/sh\nexec '" + java + "' -Xmx64m -cp /opt/program/classes " + TestContainer.class.getName()
                        + " \"$@\"\n");
        program.resolve("serve").toFile().setExecutable(true);
        tandem.deployAndAwait(
                """
                {"ModelName": "sandboxed", "PrimaryContainer": {"Image": "exec:%s",
                  "ModelDataUrl": "file:%s",
                  "Environment": {"BEHAVIOUR": "sandbox", "TANDEM_SANDBOX": "bubblewrap"}}}
                """
                        .formatted(program, model));

        HttpResponse<String> answer = tandem.invoke("sandboxed", "?", "Content-Type", "text/plain");

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(answer.body())
                .isEqualTo("model=/opt/ml/model;files=weights.bin;cwd=/opt/program;write=refused;tmp=");
        assertThat(model.resolve("scribble")).doesNotExist();
    }

    @Test
    void anUnknownSandboxIsRefusedNamingTheContainer() {
        assertThatThrownBy(
                        () -> tandem.deploy(
                                """
                        {"ModelName": "badbox", "PrimaryContainer": {"ContainerHostname": "boxed",
                          "Image": "exec:test-container", "Environment": {"TANDEM_SANDBOX": "chroot"}}}
                        """))
                .hasMessageContaining("Container boxed: TANDEM_SANDBOX must be bubblewrap or none, got 'chroot'");
    }
}
