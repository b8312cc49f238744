package dev.tandem.stages.xgboost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.Stage;
import dev.tandem.core.stage.StageContext;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.stages.support.Json;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoost;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class XgboostStageTest {
    @TempDir
    static Path modelDir;

    /** A binary classifier trained here: positive when the first feature exceeds the second. */
    @BeforeAll
    static void train() throws Exception {
        Random random = new Random(42);
        int rows = 400;
        float[] data = new float[rows * 3];
        float[] labels = new float[rows];
        for (int r = 0; r < rows; r++) {
            data[r * 3] = random.nextFloat();
            data[r * 3 + 1] = random.nextFloat();
            data[r * 3 + 2] = random.nextFloat();
            labels[r] = data[r * 3] > data[r * 3 + 1] ? 1 : 0;
        }
        DMatrix matrix = new DMatrix(data, rows, 3, Float.NaN);
        matrix.setLabel(labels);
        Booster booster = XGBoost.train(
                matrix, Map.of("objective", "binary:logistic", "max_depth", 3, "nthread", 1), 30, Map.of(), null, null);
        booster.saveModel(modelDir.resolve("model.ubj").toString());
    }

    @Test
    void predictsFromCsvJsonAndLibsvmAlike() throws Exception {
        try (Stage stage = stage(Map.of())) {
            String csv = invoke(stage, "0.9,0.1,0.5\n0.1,0.9,0.5\n", "text/csv", null);
            String json =
                    invoke(stage, "{\"instances\": [[0.9, 0.1, 0.5], [0.1, 0.9, 0.5]]}", "application/json", null);
            String libsvm = invoke(stage, "1 0:0.9 1:0.1 2:0.5\n0 0:0.1 1:0.9 2:0.5\n", "text/libsvm", null);

            assertThat(json).isEqualTo(csv);
            assertThat(libsvm).isEqualTo(csv);
            JsonNode predictions = Json.MAPPER.readTree(csv).get("predictions");
            assertThat(predictions.get(0).get(0).asDouble()).isGreaterThan(0.9);
            assertThat(predictions.get(1).get(0).asDouble()).isLessThan(0.1);
        }
    }

    @Test
    void missingValuesAreXgboostsMissingAndMarginsAreAvailable() throws Exception {
        try (Stage stage = stage(Map.of("TANDEM_XGBOOST_OUTPUT", "margin"))) {
            String margins = invoke(stage, "0.9,0.1,\n", "text/csv", "text/csv");
            assertThat(Double.parseDouble(margins.strip())).isGreaterThan(1.0);
        }
    }

    @Test
    void rowsThatDoNotFitTheModelAreRefused() throws Exception {
        try (Stage stage = stage(Map.of())) {
            assertThatThrownBy(() -> invoke(stage, "0.9,0.1\n", "text/csv", null))
                    .hasMessage("the model takes 3 features per row; the rows have 2");
            assertThatThrownBy(() -> invoke(stage, "1 3:0.5\n", "text/libsvm", null))
                    .hasMessage("line 1: feature index 3 is out of range; the model takes 3 features (0 to 2)");
            assertThatThrownBy(() -> invoke(stage, "0.9,abc,1\n", "text/csv", null))
                    .hasMessage("row 1, column 2: 'abc' is not a number");
        }
        assertThatThrownBy(() -> stage(Map.of("TANDEM_XGBOOST_OUTPUT", "logits")))
                .hasMessage("Environment TANDEM_XGBOOST_OUTPUT must be one of probability, margin, got 'logits'");
    }

    @Test
    void batchedConcurrentRequestsGetExactlyTheirOwnScores() throws Exception {
        Map<String, String> batching = Map.of(
                "TANDEM_MAX_BATCH_SIZE", "32",
                "TANDEM_MAX_QUEUE_DELAY_MICROSECONDS", "20000",
                "TANDEM_BATCH_WORKERS", "1");
        try (Stage alone = stage(Map.of());
                Stage batched = stage(batching);
                ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<String> bodies = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                StringBuilder rows = new StringBuilder();
                for (int r = 0; r <= i % 4; r++) {
                    rows.append(i / 40.0).append(',').append(r / 4.0).append(",0.5\n");
                }
                bodies.add(rows.toString());
            }
            List<Future<String>> answers = new ArrayList<>();
            for (String body : bodies) {
                answers.add(clients.submit(() -> invoke(batched, body, "text/csv", "text/csv")));
            }
            for (int i = 0; i < bodies.size(); i++) {
                assertThat(answers.get(i).get()).isEqualTo(invoke(alone, bodies.get(i), "text/csv", "text/csv"));
            }
            assertThat(((XgboostStageProvider.XgboostStage) batched).modelCalls())
                    .isLessThan(40);
        }
    }

    private static Stage stage(Map<String, String> environment) throws Exception {
        return new XgboostStageProvider().create(new StageContext("xgb", modelDir, environment));
    }

    private static String invoke(Stage stage, String body, String contentType, @Nullable String accept) {
        return stage.invoke(new StageRequest(Payload.utf8(body), contentType, accept, null))
                .body()
                .asUtf8();
    }
}
