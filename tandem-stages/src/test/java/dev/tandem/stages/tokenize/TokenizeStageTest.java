package dev.tandem.stages.tokenize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.Stage;
import dev.tandem.core.stage.StageContext;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.stages.support.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against the real all-MiniLM-L6-v2 WordPiece tokenizer that the build unpacks for the example. */
class TokenizeStageTest {
    private static final Path MINILM =
            Path.of("../examples/embeddings/model").toAbsolutePath().normalize();

    @Test
    void sentencesBecomeWordPieceIdsPaddedToTheLongestWithMasks() throws Exception {
        try (Stage stage = stage(Map.of())) {
            JsonNode inputs = tokenize(stage, "Hello world\nTokenizers split words", "text/plain");

            // [CLS] hello world [SEP], padded to the second: [CLS] token ##izer ##s split words [SEP]
            assertThat(inputs.get("input_ids").get(0).toString()).isEqualTo("[101,7592,2088,102,0,0,0]");
            assertThat(inputs.get("input_ids").get(1)).hasSize(7);
            assertThat(inputs.get("attention_mask").toString()).isEqualTo("[[1,1,1,1,0,0,0],[1,1,1,1,1,1,1]]");
            assertThat(inputs.get("token_type_ids").get(0).toString()).isEqualTo("[0,0,0,0,0,0,0]");
        }
    }

    @Test
    void readsJsonAndJsonLinesAndTruncatesToTheMaximumLength() throws Exception {
        try (Stage stage = stage(Map.of("TANDEM_MAX_LENGTH", "3", "TANDEM_TOKEN_TYPE_IDS", "false"))) {
            JsonNode fromJson = tokenize(stage, "{\"instances\": [\"Hello world\"]}", "application/json");
            JsonNode fromLines = tokenize(stage, "\"Hello world\"\n", "application/jsonlines");

            assertThat(fromJson.get("input_ids").toString()).isEqualTo("[[101,7592,102]]");
            assertThat(fromLines).isEqualTo(fromJson);
            assertThat(fromJson.has("token_type_ids")).isFalse();
            assertThatThrownBy(() -> tokenize(stage, "{\"instances\": [42]}", "application/json"))
                    .hasMessage("expected a string to tokenize, got 42");
            assertThatThrownBy(() -> tokenize(stage, "\n\n", "text/plain"))
                    .hasMessage("the body holds no text to tokenize");
        }
    }

    @Test
    void aFolderWithoutATokenizerFailsAtCreation(@TempDir Path empty) throws Exception {
        Files.writeString(empty.resolve("vocab.txt"), "[PAD]");
        assertThatThrownBy(() -> new TokenizeStageProvider().create(new StageContext("tok", empty, Map.of())))
                .hasMessage("the model folder has no tokenizer.json file; it holds vocab.txt");
    }

    private static Stage stage(Map<String, String> environment) throws Exception {
        return new TokenizeStageProvider().create(new StageContext("tok", MINILM, environment));
    }

    private static JsonNode tokenize(Stage stage, String body, String contentType) throws Exception {
        return Json.MAPPER
                .readTree(stage.invoke(new StageRequest(Payload.utf8(body), contentType, null, null))
                        .body()
                        .unsafeArray())
                .get("inputs");
    }
}
