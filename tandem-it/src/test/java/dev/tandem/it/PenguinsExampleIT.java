package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.it.support.CliProcess;
import dev.tandem.it.support.TandemFixture;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.sagemakerruntime.model.InvokeEndpointResponse;
import software.amazon.awssdk.services.sagemakerruntime.model.ModelErrorException;

/**
 * The tabular example end to end: raw penguin rows → {@code builtin:transform} → {@code
 * builtin:xgboost} → {@code builtin:postprocess} → species, from the training program in the repo to
 * held-out accuracy through the AWS SDK.
 */
class PenguinsExampleIT {
    private static final Path EXAMPLE = CliProcess.repositoryRoot().resolve("examples/penguins");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path workDir;

    static TandemFixture tandem;

    @BeforeAll
    static void serveTheExample() {
        tandem = TandemFixture.start(workDir);
        tandem.deployFileAndAwait(EXAMPLE.resolve("pipeline.json"));
    }

    @AfterAll
    static void stop() {
        tandem.close();
    }

    @Test
    void classifiesHeldOutPenguinsFarBetterThanAConstantGuess() throws IOException {
        HeldOut heldOut = HeldOut.read(EXAMPLE.resolve("data/holdout.csv"));

        List<String> predicted = classify("penguins", heldOut.csvWithHeader());

        double accuracy = heldOut.accuracy(predicted);
        double constantGuess = heldOut.majorityShare();
        assertThat(heldOut.species()).hasSizeGreaterThan(60);
        assertThat(accuracy).as("held-out accuracy").isGreaterThan(0.9);
        assertThat(constantGuess).as("the best constant guess").isLessThan(0.5);
    }

    @Test
    void theTrainingProgramRebuildsTheModelThatTheNextDeploymentServes() throws Exception {
        Path trained = workDir.resolve("retrained");
        Path model = Files.createDirectories(trained.resolve("model"));
        Process training = new ProcessBuilder(
                        ProcessHandle.current().info().command().orElse("java"),
                        "--enable-native-access=ALL-UNNAMED",
                        "-cp",
                        System.getProperty("java.class.path"),
                        EXAMPLE.resolve("train/TrainPenguins.java").toString(),
                        EXAMPLE.resolve("data/penguins.csv").toString(),
                        EXAMPLE.resolve("train/transform-template.json").toString(),
                        model.toString(),
                        trained.resolve("holdout.csv").toString())
                .redirectErrorStream(true)
                .start();
        String output = new String(training.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(training.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(training.exitValue()).as(output).isZero();
        assertThat(output).containsPattern("held-out accuracy \\d+/69");
        assertThat(Files.readString(trained.resolve("holdout.csv")))
                .isEqualTo(Files.readString(EXAMPLE.resolve("data/holdout.csv")));

        String pipeline = Files.readString(EXAMPLE.resolve("pipeline.json"))
                .replace("\"ModelName\": \"penguins\"", "\"ModelName\": \"penguins-retrained\"");
        Files.writeString(trained.resolve("pipeline.json"), pipeline);
        tandem.deployFileAndAwait(trained.resolve("pipeline.json"));

        HeldOut heldOut = HeldOut.read(trained.resolve("holdout.csv"));
        assertThat(heldOut.accuracy(classify("penguins-retrained", heldOut.csvWithHeader())))
                .isGreaterThan(0.9);
    }

    @Test
    void answersInTheFormatTheClientAccepts() throws IOException {
        String row = "Biscoe,50.0,15.2,218,5700,male,2009";

        HttpResponse<String> csv = tandem.invoke("penguins", row, "Content-Type", "text/csv", "Accept", "text/csv");
        HttpResponse<String> lines = tandem.invoke(
                "penguins", row + "\n" + row, "Content-Type", "text/csv", "Accept", "application/jsonlines");
        HttpResponse<String> records = tandem.invoke(
                "penguins",
                "[{\"island\": \"Dream\", \"bill_length_mm\": 49.5, \"bill_depth_mm\": 19.0, \"flipper_length_mm\": 200,"
                        + " \"body_mass_g\": 3800, \"sex\": \"male\"}]",
                "Content-Type",
                "application/json");

        assertThat(csv.statusCode()).as(csv.body()).isEqualTo(200);
        assertThat(csv.headers().firstValue("Content-Type")).hasValue("text/csv");
        assertThat(csv.body()).matches("Gentoo,0\\.\\d+\n");
        assertThat(lines.body().lines().toList()).hasSize(2).allSatisfy(line -> assertThat(
                        JSON.readTree(line).get("label").asText())
                .isEqualTo("Gentoo"));
        assertThat(JSON.readTree(records.body()).at("/predictions/0/label").asText())
                .isEqualTo("Chinstrap");
        assertThat(csv.headers().firstValue("Server-Timing").orElseThrow())
                .contains("features;dur=", "xgboost;dur=", "species;dur=");
    }

    @Test
    void badRowsAreRefusedByTheStageThatCannotReadThemAndTheEndpointKeepsServing() {
        record Case(String body, String contentType, int status, String stage, String message) {}
        List<Case> cases = List.of(
                new Case("Dream,1,2", "text/csv", 400, "features", "row 1 has 3 values; expected 7 (island,"),
                new Case(
                        "Dream,forty,17.9,192,3500,male,2007",
                        "text/csv",
                        400,
                        "features",
                        "row 1, column 'bill_length_mm': 'forty' is not a number"),
                new Case(
                        "bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex\n40,18,190,3500,male",
                        "text/csv",
                        400,
                        "features",
                        "missing column 'island'"),
                new Case("Dream 40 18", "text/plain", 415, "features", "builtin:transform accepts text/csv"),
                new Case("{\"rows\": 1}", "application/json", 400, "features", "expected a JSON array of rows"));

        for (Case bad : cases) {
            ModelErrorException error = invokeExpectingModelError(bad.body(), bad.contentType());
            assertThat(error.statusCode()).as(bad.body()).isEqualTo(424);
            assertThat(error.originalStatusCode()).as(bad.body()).isEqualTo(bad.status());
            assertThat(error.getMessage()).as(bad.body()).contains("from " + bad.stage(), bad.message());
        }
        assertThat(classify("penguins", "Torgersen,39.1,18.7,181,3750,male,2007"))
                .containsExactly("Adelie");
    }

    @Test
    void aCorruptOrMissingModelFailsTheEndpointWithAReasonNamingIt() throws IOException {
        Path corrupt = Files.createDirectories(workDir.resolve("corrupt/model"));
        Files.writeString(corrupt.resolve("xgboost-model.json"), "{\"learner\": \"not a booster\"");
        Path empty = Files.createDirectories(workDir.resolve("empty/model"));

        assertThat(failureOf("corrupt", corrupt)).contains("xgboost", "is not a valid XGBoost model");
        assertThat(failureOf("empty", empty)).contains("xgboost", "has no .json or .ubj or xgboost-model file");
    }

    private String failureOf(String name, Path modelDir) {
        String pipeline =
                """
                {"ModelName": "%s", "Containers": [
                  {"ContainerHostname": "xgboost", "Image": "builtin:xgboost", "ModelDataUrl": "file:%s"}]}
                """
                        .formatted(name, modelDir);
        tandem.server().servePipeline(pipeline.getBytes(StandardCharsets.UTF_8), workDir);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!tandem.server().controlPlane().endpoint(name).status().equals("Failed")) {
            assertThat(System.nanoTime()).as("endpoint %s failed", name).isLessThan(deadline);
            TandemFixture.sleep(Duration.ofMillis(20));
        }
        return String.valueOf(tandem.server().controlPlane().endpoint(name).failureReason());
    }

    private ModelErrorException invokeExpectingModelError(String body, String contentType) {
        try {
            tandem.sdk().invokeEndpoint(request -> request.endpointName("penguins")
                    .contentType(contentType)
                    .body(SdkBytes.fromUtf8String(body)));
        } catch (ModelErrorException e) {
            return e;
        }
        throw new AssertionError("expected a ModelError for " + body);
    }

    private List<String> classify(String endpoint, String csv) {
        InvokeEndpointResponse response = tandem.sdk().invokeEndpoint(request -> request.endpointName(endpoint)
                .contentType("text/csv")
                .accept("application/json")
                .body(SdkBytes.fromUtf8String(csv)));
        try {
            List<String> labels = new ArrayList<>();
            JSON.readTree(response.body().asByteArray())
                    .get("predictions")
                    .forEach(p -> labels.add(p.get("label").asText()));
            return labels;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** The held-out rows: the species apart, the other columns as the endpoint takes them. */
    private record HeldOut(String header, List<String> rows, List<String> species) {
        static HeldOut read(Path file) throws IOException {
            List<String> lines = Files.readAllLines(file);
            List<String> rows = new ArrayList<>();
            List<String> species = new ArrayList<>();
            for (String line : lines.subList(1, lines.size())) {
                int comma = line.indexOf(',');
                species.add(line.substring(0, comma));
                rows.add(line.substring(comma + 1));
            }
            String header = lines.get(0).substring(lines.get(0).indexOf(',') + 1);
            return new HeldOut(header, rows, species);
        }

        String csvWithHeader() {
            return header + "\n" + String.join("\n", rows) + "\n";
        }

        double accuracy(List<String> predicted) {
            assertThat(predicted).hasSameSizeAs(species);
            int correct = 0;
            for (int i = 0; i < species.size(); i++) {
                correct += species.get(i).equals(predicted.get(i)) ? 1 : 0;
            }
            return (double) correct / species.size();
        }

        double majorityShare() {
            Map<String, Long> counts =
                    species.stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
            return (double) counts.values().stream()
                            .mapToLong(Long::longValue)
                            .max()
                            .orElse(0)
                    / species.size();
        }
    }
}
