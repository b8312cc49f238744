package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.it.support.CliProcess;
import dev.tandem.it.support.TandemFixture;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The text example: sentences → {@code builtin:tokenize} → all-MiniLM-L6-v2 in {@code builtin:onnx}
 * with mean pooling and normalisation → sentence embeddings; and {@code builtin:onnx} alone, fed
 * the model's own inputs in each of its formats, including the wrong ones.
 */
class EmbeddingsExampleIT {
    private static final Path EXAMPLE = CliProcess.repositoryRoot().resolve("examples/embeddings");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path workDir;

    static TandemFixture tandem;

    @BeforeAll
    static void serveTheExample() {
        tandem = TandemFixture.start(workDir);
        tandem.deployFileAndAwait(EXAMPLE.resolve("pipeline.json"));
        tandem.deployAndAwait(
                """
                {"ModelName": "minilm", "Containers": [
                  {"ContainerHostname": "minilm", "Image": "builtin:onnx", "ModelDataUrl": "file:%s"}]}
                """
                        .formatted(EXAMPLE.resolve("model")));
        tandem.deployAndAwait(
                """
                {"ModelName": "embeddings-batched", "Containers": [
                  {"ContainerHostname": "tokenizer", "Image": "builtin:tokenize", "ModelDataUrl": "file:%1$s",
                   "Environment": {"TANDEM_MAX_LENGTH": "128"}},
                  {"ContainerHostname": "minilm", "Image": "builtin:onnx", "ModelDataUrl": "file:%1$s",
                   "Environment": {"TANDEM_ONNX_OUTPUTS": "last_hidden_state", "TANDEM_ONNX_POOLING": "mean",
                     "TANDEM_ONNX_NORMALIZE": "true", "TANDEM_MAX_BATCH_SIZE": "32",
                     "TANDEM_MAX_QUEUE_DELAY_MICROSECONDS": "5000"}}]}
                """
                        .formatted(EXAMPLE.resolve("model")));
    }

    @AfterAll
    static void stop() {
        tandem.close();
    }

    @Test
    void paraphrasesAreCloserThanUnrelatedSentencesAndEveryEmbeddingHasUnitLength() throws IOException {
        HttpResponse<String> response = tandem.invoke(
                "embeddings",
                """
                A man is eating food.
                A man is eating a piece of bread.
                The new movie is awesome.
                The new film is so great.
                The stock market fell sharply today.
                """,
                "Content-Type",
                "text/plain");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        float[][] vectors =
                JSON.readValue(JSON.readTree(response.body()).get("predictions").toString(), float[][].class);
        assertThat(vectors).hasNumberOfRows(5);
        for (float[] vector : vectors) {
            assertThat(vector).hasSize(384);
            assertThat(cosine(vector, vector)).isCloseTo(1.0, within(1e-4));
        }
        double food = cosine(vectors[0], vectors[1]);
        double film = cosine(vectors[2], vectors[3]);
        for (int unrelated : new int[] {2, 3, 4}) {
            assertThat(food).isGreaterThan(cosine(vectors[0], vectors[unrelated]) + 0.2);
        }
        assertThat(film).isGreaterThan(cosine(vectors[2], vectors[4]) + 0.2);
        assertThat(response.headers().firstValue("Server-Timing").orElseThrow())
                .contains("tokenizer;dur=", "minilm;dur=");
    }

    @Test
    void theSameSentenceEmbedsAlikeAloneOrInABatchWithPadding() throws IOException {
        float[] alone = embeddings("{\"instances\": [\"Tandem chains models.\"]}")[0];
        float[] padded = embeddings(
                "{\"instances\": [\"Tandem chains models.\", \"A much longer sentence that forces the short one to be"
                        + " padded with many extra tokens.\"]}")[0];

        // The attention mask hides the padding; what remains is the quantized model's noise (its
        // activation ranges are computed over the whole padded batch). Were the padding pooled in,
        // the two would differ far more: the short sentence is mostly padding here.
        assertThat(cosine(alone, padded)).isGreaterThan(0.98);
    }

    @Test
    void concurrentSentencesOfDifferentLengthsBatchedTogetherEmbedAsTheyDoAlone() throws Exception {
        List<String> subjects = List.of(
                "The cat",
                "The stock market",
                "A river",
                "The violinist",
                "A satellite",
                "The baker",
                "Our train",
                "The glacier",
                "A hummingbird",
                "The senator",
                "The compiler",
                "A thunderstorm",
                "The chess player",
                "A lighthouse",
                "The vaccine",
                "The bicycle",
                "A volcano",
                "The librarian",
                "The spaceship",
                "A tomato plant",
                "The goalkeeper",
                "The printer",
                "A honeybee",
                "The judge");
        List<String> sentences = new ArrayList<>();
        for (int i = 0; i < subjects.size(); i++) {
            // From three words to forty, each about its own subject: the short ones are mostly padding
            // in their batch.
            sentences.add(String.join(", ", Collections.nCopies(1 + 3 * (i % 5), subjects.get(i) + " changed")) + ".");
        }
        List<float[]> alone = new ArrayList<>();
        for (String sentence : sentences) {
            alone.add(embeddings(JSON.writeValueAsString(Map.of("instances", List.of(sentence))))[0]);
        }
        List<Future<HttpResponse<String>>> batched = new ArrayList<>();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (String sentence : sentences) {
                batched.add(clients.submit(
                        () -> tandem.invoke("embeddings-batched", sentence, "Content-Type", "text/plain")));
            }
            for (int i = 0; i < sentences.size(); i++) {
                HttpResponse<String> response = batched.get(i).get();
                assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
                float[] together = JSON.readValue(
                        JSON.readTree(response.body()).get("predictions").get(0).toString(), float[].class);
                // Padded to the longest sentence of its batch and masked out, the sentence means what
                // it means alone: its own embedding is the nearest of all 24. Close rather than equal:
                // the quantized model computes its activation ranges over the whole batch.
                assertThat(cosine(together, alone.get(i))).as(sentences.get(i)).isGreaterThan(0.95);
                for (int other = 0; other < sentences.size(); other++) {
                    if (other != i) {
                        assertThat(cosine(together, alone.get(i)))
                                .as(sentences.get(i) + " against " + sentences.get(other))
                                .isGreaterThan(cosine(together, alone.get(other)));
                    }
                }
            }
        }
    }

    @Test
    void theOnnxStageAnswersOpenInferenceProtocolV2RequestsInKind() throws IOException {
        HttpResponse<String> response = tandem.invoke(
                "minilm",
                """
                {"inputs": [
                  {"name": "input_ids", "shape": [1, 4], "datatype": "INT64", "data": [101, 7592, 2088, 102]},
                  {"name": "attention_mask", "shape": [1, 4], "datatype": "INT64", "data": [1, 1, 1, 1]},
                  {"name": "token_type_ids", "shape": [1, 4], "datatype": "INT64", "data": [0, 0, 0, 0]}]}
                """,
                "Content-Type",
                "application/json");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode output = JSON.readTree(response.body()).at("/outputs/0");
        assertThat(JSON.readTree(response.body()).get("model_name").asText()).isEqualTo("minilm");
        assertThat(output.get("name").asText()).isEqualTo("last_hidden_state");
        assertThat(output.get("datatype").asText()).isEqualTo("FP32");
        assertThat(output.get("shape").toString()).isEqualTo("[1,4,384]");
        assertThat(output.get("data")).hasSize(4 * 384);
    }

    @Test
    void inputsThatDoNotMatchTheModelAreRefusedWithWhatItExpects() {
        record Case(String body, String contentType, String message) {}
        List<Case> cases = List.of(
                new Case(
                        "{\"inputs\": {\"input_ids\": [[101, 102]], \"attention_mask\": [[1, 1]]}}",
                        "application/json",
                        "missing input 'token_type_ids'; the model takes [input_ids (INT64 [-1, -1]),"),
                new Case(
                        "{\"inputs\": {\"ids\": [[101, 102]]}}",
                        "application/json",
                        "the model has no input 'ids'; it takes [input_ids (INT64"),
                new Case(
                        "{\"inputs\": [{\"name\": \"input_ids\", \"shape\": [1, 2], \"datatype\": \"FP32\", \"data\":"
                                + " [1.0, 2.0]}]}",
                        "application/json",
                        "input 'input_ids' is FP32; the model expects INT64"),
                new Case(
                        "{\"inputs\": {\"input_ids\": [101, 102], \"attention_mask\": [[1, 1]], \"token_type_ids\":"
                                + " [[0, 0]]}}",
                        "application/json",
                        "input 'input_ids' has shape [2]; the model expects [-1, -1]"),
                new Case(
                        "{\"inputs\": {\"input_ids\": [[101, 1.5]], \"attention_mask\": [[1, 1]], \"token_type_ids\":"
                                + " [[0, 0]]}}",
                        "application/json",
                        "input 'input_ids' (INT64), value 2: expected an integer, got 1.5"),
                new Case("1,2,3", "text/csv", "CSV rows fill a single input, but the model takes 3"),
                new Case("hello", "text/plain", "builtin:onnx accepts application/json, text/csv; got text/plain"));

        for (Case bad : cases) {
            HttpResponse<String> response = tandem.invoke("minilm", bad.body(), "Content-Type", bad.contentType());
            assertThat(response.statusCode()).as(bad.body()).isEqualTo(424);
            assertThat(response.body()).as(bad.body()).contains("from minilm", bad.message());
        }
        assertThat(tandem.invoke("embeddings", "still serving", "Content-Type", "text/plain")
                        .statusCode())
                .isEqualTo(200);
    }

    private static float[][] embeddings(String body) throws IOException {
        HttpResponse<String> response = tandem.invoke("embeddings", body, "Content-Type", "application/json");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readValue(JSON.readTree(response.body()).get("predictions").toString(), float[][].class);
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        double normA = 0;
        double normB = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            normA += a[i] * a[i];
            normB += b[i] * b[i];
        }
        return dot / Math.sqrt(normA * normB);
    }
}
