package dev.tandem.stages.tokenize;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tandem.core.stage.MediaTypes;
import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.Stage;
import dev.tandem.core.stage.StageContext;
import dev.tandem.core.stage.StageException;
import dev.tandem.core.stage.StageProvider;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.core.stage.StageResponse;
import dev.tandem.stages.support.Json;
import dev.tandem.stages.support.ModelFiles;
import dev.tandem.stages.support.Settings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code builtin:tokenize}: a Hugging Face tokenizer ({@code tokenizer.json}, through DJL's
 * bindings to the Rust {@code tokenizers}) that turns sentences into the inputs of a text model:
 * {@code {"inputs": {"input_ids": [[...]], "attention_mask": [[...]], "token_type_ids": [[...]]}}},
 * what {@code builtin:onnx} takes.
 *
 * <p>Sentences come as {@code text/plain} (one per line), JSON ({@code {"instances": [...]}}, a bare
 * array, or {@code {"inputs": "..."}} / {@code {"inputs": [...]}}) or JSON Lines of strings.
 *
 * <p>Environment: {@code TANDEM_TOKENIZER_FILE} (default: the only {@code *tokenizer.json}),
 * {@code TANDEM_MAX_LENGTH} (default: the file's truncation length, else 512), {@code
 * TANDEM_PADDING} ({@code longest}, the default, or {@code max_length}), {@code
 * TANDEM_TOKEN_TYPE_IDS} ({@code true}, the default, or {@code false} for models without that
 * input).
 */
public final class TokenizeStageProvider implements StageProvider {
    @Override
    public String name() {
        return "tokenize";
    }

    @Override
    public Stage create(StageContext context) throws IOException {
        Settings settings = new Settings(context.environment());
        Path file = ModelFiles.find(context.modelDir(), settings.string("TANDEM_TOKENIZER_FILE"), "tokenizer.json");
        int maxLength = settings.integer("TANDEM_MAX_LENGTH", declaredMaxLength(file), 1, 1 << 20);
        String padding = settings.choice("TANDEM_PADDING", "longest", "longest", "max_length");
        HuggingFaceTokenizer tokenizer;
        try {
            tokenizer = HuggingFaceTokenizer.newInstance(
                    file,
                    Map.of(
                            "padding",
                            padding,
                            "truncation",
                            "true",
                            "maxLength",
                            Integer.toString(maxLength),
                            "addSpecialTokens",
                            "true"));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(
                    context.modelDir().relativize(file) + " is not a valid tokenizer: " + e.getMessage(), e);
        }
        return new TokenizeStage(tokenizer, settings.flag("TANDEM_TOKEN_TYPE_IDS", true));
    }

    private static int declaredMaxLength(Path file) throws IOException {
        JsonNode length = Json.MAPPER.readTree(file.toFile()).path("truncation").path("max_length");
        return length.isInt() ? length.intValue() : 512;
    }

    static final class TokenizeStage implements Stage {
        private static final List<String> ACCEPTS = List.of(MediaTypes.TEXT, MediaTypes.JSON, MediaTypes.JSON_LINES);

        private final HuggingFaceTokenizer tokenizer;
        private final boolean typeIds;

        TokenizeStage(HuggingFaceTokenizer tokenizer, boolean typeIds) {
            this.tokenizer = tokenizer;
            this.typeIds = typeIds;
        }

        @Override
        public StageResponse invoke(StageRequest request) {
            String contentType = request.contentType() == null ? MediaTypes.TEXT : request.contentType();
            List<String> sentences = Sentences.read(request.body(), contentType);
            Encoding[] encodings = tokenizer.batchEncode(sentences);
            return StageResponse.of(write(encodings), MediaTypes.JSON);
        }

        private Payload write(Encoding[] encodings) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(encodings.length * 256);
            try (JsonGenerator json = Json.MAPPER.createGenerator(out)) {
                json.writeStartObject();
                json.writeObjectFieldStart("inputs");
                writeIds(json, "input_ids", encodings, Encoding::getIds);
                writeIds(json, "attention_mask", encodings, Encoding::getAttentionMask);
                if (typeIds) {
                    writeIds(json, "token_type_ids", encodings, Encoding::getTypeIds);
                }
                json.writeEndObject();
                json.writeEndObject();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return Payload.wrap(out.toByteArray());
        }

        private interface Ids {
            long[] of(Encoding encoding);
        }

        private static void writeIds(JsonGenerator json, String name, Encoding[] encodings, Ids ids)
                throws IOException {
            json.writeArrayFieldStart(name);
            for (Encoding encoding : encodings) {
                long[] values = ids.of(encoding);
                json.writeArray(values, 0, values.length);
            }
            json.writeEndArray();
        }

        @Override
        public List<String> accepts() {
            return ACCEPTS;
        }

        @Override
        public List<String> produces() {
            return List.of(MediaTypes.JSON);
        }

        @Override
        public boolean callsNativeCode() {
            return true;
        }

        @Override
        public void close() {
            tokenizer.close();
        }
    }

    /** The sentences of a request body. */
    static final class Sentences {
        private Sentences() {}

        static List<String> read(Payload body, String contentType) {
            List<String> sentences = new ArrayList<>();
            switch (MediaTypes.essence(contentType)) {
                case MediaTypes.TEXT ->
                    body.asUtf8().lines().filter(line -> !line.isBlank()).forEach(sentences::add);
                case MediaTypes.JSON_LINES -> {
                    for (String line : body.asUtf8().lines().toList()) {
                        if (!line.isBlank()) {
                            sentences.add(text(Json.parse(Payload.utf8(line))));
                        }
                    }
                }
                default -> {
                    JsonNode root = Json.parse(body);
                    JsonNode items = root.isObject()
                            ? root.has("instances") ? root.get("instances") : root.path("inputs")
                            : root;
                    if (items.isArray()) {
                        items.forEach(item -> sentences.add(text(item)));
                    } else {
                        sentences.add(text(items));
                    }
                }
            }
            if (sentences.isEmpty()) {
                throw StageException.badInput("the body holds no text to tokenize");
            }
            return sentences;
        }

        private static String text(JsonNode item) {
            if (!item.isTextual()) {
                throw StageException.badInput("expected a string to tokenize, got " + item);
            }
            return item.textValue();
        }
    }
}
