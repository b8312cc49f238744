package dev.tandem.stages.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.Stage;
import dev.tandem.core.stage.StageContext;
import dev.tandem.core.stage.StageException;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.core.stage.StageResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxStageTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    // Three features, two classes: class 1 wins when x0 > x1; x2 is ignored.
    private static final float[][] WEIGHTS = {{2, -2}, {-2, 2}, {0, 0}};
    private static final float[] BIAS = {0.5f, -0.5f};

    @TempDir
    Path modelDir;

    @Test
    void csvRowsBecomeOneFloatBatchAndProbabilitiesComeBackPerRow() throws Exception {
        try (Stage stage = stage(Map.of("TANDEM_ONNX_OUTPUTS", "probabilities"))) {
            StageResponse response = invoke(stage, "1,0,9\n0,1,9\n", "text/csv", null);

            JsonNode predictions = JSON.readTree(response.body().unsafeArray()).get("predictions");
            assertThat(response.contentType()).isEqualTo("application/json");
            assertThat(predictions).hasSize(2);
            assertThat(predictions.get(0).get(0).asDouble()).isCloseTo(softmax(2.5, -2.5)[0], within(1e-5));
            assertThat(predictions.get(1).get(1).asDouble()).isCloseTo(softmax(-1.5, 1.5)[1], within(1e-5));
        }
    }

    @Test
    void instancesNamedTensorsAndV2BodiesAllFeedTheSameInput() throws Exception {
        try (Stage stage = stage(Map.of("TANDEM_ONNX_OUTPUTS", "probabilities"))) {
            String instances = invoke(stage, "{\"instances\": [[1, 0, 9]]}", "application/json", null)
                    .body()
                    .asUtf8();
            String named = invoke(stage, "{\"inputs\": {\"x\": [[1, 0, 9]]}}", "application/json", null)
                    .body()
                    .asUtf8();
            JsonNode v2 = JSON.readTree(invoke(
                            stage,
                            "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 3], \"datatype\": \"FP32\", \"data\":"
                                    + " [1, 0, 9]}]}",
                            "application/json",
                            null)
                    .body()
                    .unsafeArray());

            assertThat(named).isEqualTo(instances);
            assertThat(v2.at("/outputs/0/name").asText()).isEqualTo("probabilities");
            assertThat(v2.at("/outputs/0/shape").toString()).isEqualTo("[1,2]");
            assertThat(v2.at("/outputs/0/data/0").asDouble())
                    .isCloseTo(JSON.readTree(instances).at("/predictions/0/0").asDouble(), within(1e-6));
        }
    }

    @Test
    void answersEveryOutputByNameUnlessToldWhichAndCsvWhenAsked() throws Exception {
        try (Stage stage = stage(Map.of())) {
            JsonNode both = JSON.readTree(invoke(stage, "[[1, 0, 0]]", "application/json", null)
                    .body()
                    .unsafeArray());
            assertThat(both.at("/predictions/0/logits/0").asDouble()).isCloseTo(2.5, within(1e-5));
            assertThat(both.at("/predictions/0/probabilities")).hasSize(2);

            assertThatThrownBy(() -> invoke(stage, "1,0,0", "text/csv", "text/csv"))
                    .isInstanceOf(StageException.class)
                    .hasMessageContaining("text/csv answers need one output of rank 1 or 2");
        }
        try (Stage stage = stage(Map.of("TANDEM_ONNX_OUTPUTS", "logits"))) {
            assertThat(invoke(stage, "1,0,0\n0,0,0", "text/csv", "text/csv")
                            .body()
                            .asUtf8())
                    .isEqualTo("2.5,-2.5\n0.5,-0.5\n");
        }
    }

    @Test
    void inputsThatDoNotFitTheModelAreRefusedWithWhatItExpects() throws Exception {
        try (Stage stage = stage(Map.of())) {
            assertThatThrownBy(() -> invoke(stage, "1,2\n", "text/csv", null))
                    .isInstanceOf(StageException.class)
                    .hasMessage("input 'x' has shape [1, 2]; the model expects [-1, 3] (-1: any size)")
                    .extracting(e -> ((StageException) e).status())
                    .isEqualTo(400);
            assertThatThrownBy(() -> invoke(stage, "1,two,3\n", "text/csv", null))
                    .hasMessage("row 1, column 2: 'two' is not a number");
            assertThatThrownBy(() -> invoke(stage, "[[1, 2, 3], [1, 2]]", "application/json", null))
                    .hasMessageContaining("input 'x' is ragged: axis 1 has 2 values where the first has 3");
            assertThatThrownBy(() -> invoke(stage, "[[1, \"a\", 3]]", "application/json", null))
                    .hasMessage("input 'x' (FP32), value 2: expected a number, got \"a\"");
            assertThatThrownBy(() -> invoke(
                            stage,
                            "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 3], \"datatype\": \"FP32\", \"data\": [1,"
                                    + " 2]}]}",
                            "application/json",
                            null))
                    .hasMessage("v2 input 'x' has 2 values; shape [1, 3] holds 3");
            assertThatThrownBy(() -> invoke(stage, "{\"rows\": []}", "application/json", null))
                    .hasMessageContaining("got an object with fields [rows]");
        }
    }

    @Test
    void aMissingCorruptOrAmbiguousModelFailsAtCreationSayingWhy() throws IOException {
        assertThatThrownBy(() -> stage(Map.of(), modelDir)).hasMessageContaining("the model folder has no .onnx file");

        Files.writeString(modelDir.resolve("model.onnx"), "not a model");
        assertThatThrownBy(() -> stage(Map.of(), modelDir))
                .hasMessageStartingWith("model.onnx is not a valid ONNX model");

        LinearModelWriter.write(modelDir.resolve("other.onnx"), WEIGHTS, BIAS);
        assertThatThrownBy(() -> stage(Map.of(), modelDir))
                .hasMessageContaining("2 candidates for a .onnx file (model.onnx, other.onnx); name one");
        assertThatThrownBy(() -> stage(Map.of("TANDEM_ONNX_MODEL", "other.onnx", "TANDEM_ONNX_OUTPUTS", "y"), modelDir))
                .hasMessage("TANDEM_ONNX_OUTPUTS names 'y'; the model's outputs are [logits, probabilities]");
    }

    @Test
    void batchedConcurrentRequestsGetExactlyWhatEachGetsAloneAndBadOnesFailAlone() throws Exception {
        Map<String, String> batching = Map.of(
                "TANDEM_ONNX_OUTPUTS", "probabilities",
                "TANDEM_MAX_BATCH_SIZE", "64",
                "TANDEM_MAX_QUEUE_DELAY_MICROSECONDS", "20000",
                "TANDEM_BATCH_WORKERS", "1");
        try (Stage alone = stage(Map.of("TANDEM_ONNX_OUTPUTS", "probabilities"));
                Stage batched = stage(batching);
                ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            assertThat(batched.callsNativeCode())
                    .as("the batcher's own threads call the model")
                    .isFalse();
            List<String> bodies = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                // One to three rows each, so that a call stacks requests of different sizes.
                StringBuilder rows = new StringBuilder();
                for (int r = 0; r <= i % 3; r++) {
                    rows.append(i * 0.1).append(',').append(r).append(",7\n");
                }
                bodies.add(rows.toString());
            }
            List<Future<String>> answers = new ArrayList<>();
            for (String body : bodies) {
                answers.add(clients.submit(
                        () -> invoke(batched, body, "text/csv", null).body().asUtf8()));
            }
            Future<String> bad = clients.submit(
                    () -> invoke(batched, "1,2\n", "text/csv", null).body().asUtf8());
            for (int i = 0; i < bodies.size(); i++) {
                assertThat(answers.get(i).get())
                        .isEqualTo(invoke(alone, bodies.get(i), "text/csv", null)
                                .body()
                                .asUtf8());
            }
            assertThatThrownBy(bad::get).cause().hasMessageContaining("has shape [1, 2]");
            long calls = ((OnnxStageProvider.OnnxStage) batched).modelCalls();
            assertThat(calls).as("40 concurrent requests in fewer calls").isLessThan(40);
        }
    }

    @Test
    void batchingAModelWhoseFirstAxisIsFixedFailsAtCreation() throws Exception {
        LinearModelWriter.write(modelDir.resolve("linear.onnx"), WEIGHTS, BIAS, 1);
        assertThat(invoke(stage(Map.of(), modelDir), "[[1, 0, 0]]", "application/json", null)
                        .body()
                        .asUtf8())
                .contains("predictions");
        assertThatThrownBy(() -> stage(Map.of("TANDEM_MAX_BATCH_SIZE", "8"), modelDir))
                .hasMessage("TANDEM_MAX_BATCH_SIZE stacks requests along the first axis, but model input x (FP32"
                        + " [1, 3]) has a fixed first axis; unset it");
        assertThatThrownBy(() -> stage(Map.of("TANDEM_MAX_QUEUE_DELAY_MICROSECONDS", "soon"), modelDir))
                .hasMessage("Environment TANDEM_MAX_QUEUE_DELAY_MICROSECONDS must be a whole number from 0 to"
                        + " 10000000, got 'soon'");
    }

    private Stage stage(Map<String, String> environment) throws Exception {
        LinearModelWriter.write(modelDir.resolve("linear.onnx"), WEIGHTS, BIAS);
        return stage(environment, modelDir);
    }

    private static Stage stage(Map<String, String> environment, Path dir) throws Exception {
        return new OnnxStageProvider().create(new StageContext("model", dir, environment));
    }

    private static StageResponse invoke(Stage stage, String body, String contentType, @Nullable String accept) {
        return stage.invoke(new StageRequest(Payload.utf8(body), contentType, accept, null));
    }

    private static double[] softmax(double a, double b) {
        double max = Math.max(a, b);
        double ea = Math.exp(a - max);
        double eb = Math.exp(b - max);
        return new double[] {ea / (ea + eb), eb / (ea + eb)};
    }
}
