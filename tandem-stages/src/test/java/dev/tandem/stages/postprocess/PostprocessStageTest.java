package dev.tandem.stages.postprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.Stage;
import dev.tandem.core.stage.StageContext;
import dev.tandem.core.stage.StageException;
import dev.tandem.core.stage.StageRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PostprocessStageTest {
    private static final String SCORES = "{\"predictions\": [[0.1, 0.7, 0.2], [0.5, 0.2, 0.3]]}";

    @TempDir
    Path modelDir;

    @Test
    void argmaxNamesTheBestClassInJsonJsonLinesOrCsv() throws Exception {
        try (Stage stage = stage(Map.of("TANDEM_LABELS", "cat, dog, bird"))) {
            assertThat(invoke(stage, SCORES, "application/json", null))
                    .isEqualTo(
                            "{\"predictions\":[{\"label\":\"dog\",\"score\":0.7},{\"label\":\"cat\",\"score\":0.5}]}");
            assertThat(invoke(stage, SCORES, "application/json", "application/jsonlines"))
                    .isEqualTo("{\"label\":\"dog\",\"score\":0.7}\n{\"label\":\"cat\",\"score\":0.5}\n");
            assertThat(invoke(stage, "0.1,0.7,0.2\n", "text/csv", "text/csv")).isEqualTo("dog,0.7\n");
        }
    }

    @Test
    void aSingleScoreIsABinaryDecisionAtTheThreshold() throws Exception {
        Files.writeString(modelDir.resolve("labels.txt"), "negative\npositive\n");
        try (Stage stage = stage(Map.of("TANDEM_THRESHOLD", "0.8"))) {
            assertThat(invoke(stage, "[[0.85], [0.6]]", "application/json", "text/csv"))
                    .isEqualTo("positive,0.85\nnegative,0.4\n");
        }
    }

    @Test
    void topKAndThresholdListSeveralClassesBestFirst() throws Exception {
        try (Stage stage = stage(Map.of("TANDEM_POSTPROCESS", "topk", "TANDEM_TOP_K", "2", "TANDEM_LABELS", "a,b,c"))) {
            assertThat(invoke(stage, SCORES, "application/json", null))
                    .isEqualTo("{\"predictions\":[{\"labels\":[\"b\",\"c\"],\"scores\":[0.7,0.2]},"
                            + "{\"labels\":[\"a\",\"c\"],\"scores\":[0.5,0.3]}]}");
            assertThat(invoke(stage, SCORES, "application/json", "text/csv")).isEqualTo("b,0.7,c,0.2\na,0.5,c,0.3\n");
        }
        try (Stage stage = stage(Map.of("TANDEM_POSTPROCESS", "threshold", "TANDEM_THRESHOLD", "0.25"))) {
            assertThat(invoke(stage, SCORES, "application/json", "application/jsonlines"))
                    .isEqualTo(
                            "{\"labels\":[\"1\"],\"scores\":[0.7]}\n{\"labels\":[\"0\",\"2\"],\"scores\":[0.5,0.3]}\n");
        }
    }

    @Test
    void roundsScoresToTheDecimalsAsked() throws Exception {
        try (Stage stage = stage(Map.of("TANDEM_POSTPROCESS", "round", "TANDEM_DECIMALS", "2"))) {
            assertThat(invoke(stage, "[[0.123456, 0.876544]]", "application/json", null))
                    .isEqualTo("{\"predictions\":[{\"scores\":[0.12,0.88]}]}");
        }
    }

    @Test
    void labelsThatDoNotMatchTheScoresAndBadSettingsAreReported() throws Exception {
        try (Stage stage = stage(Map.of("TANDEM_LABELS", "a,b"))) {
            assertThatThrownBy(() -> invoke(stage, SCORES, "application/json", null))
                    .isInstanceOf(StageException.class)
                    .hasMessage("postprocess has 2 labels [a, b] but the model gives 3 score(s) per row (3 classes)");
        }
        assertThatThrownBy(() -> stage(Map.of("TANDEM_TOP_K", "0", "TANDEM_POSTPROCESS", "topk")))
                .hasMessage("Environment TANDEM_TOP_K must be a whole number from 1 to 1000000, got '0'");
    }

    private Stage stage(Map<String, String> environment) throws Exception {
        return new PostprocessStageProvider().create(new StageContext("post", modelDir, environment));
    }

    private static String invoke(Stage stage, String body, String contentType, @Nullable String accept) {
        return stage.invoke(new StageRequest(Payload.utf8(body), contentType, accept, null))
                .body()
                .asUtf8();
    }
}
