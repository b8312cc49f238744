package example.redact;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.tandem.core.stage.MediaTypes;
import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.Stage;
import dev.tandem.core.stage.StageContext;
import dev.tandem.core.stage.StageException;
import dev.tandem.core.stage.StageProvider;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.core.stage.StageResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code builtin:redact}, an example of a user's own in-process stage: replaces e-mail addresses,
 * phone numbers and card-like digit runs in text with placeholders before the text reaches a
 * model. Plain text in, plain text out; JSON in, the same JSON out with every string redacted.
 *
 * <p>Environment: {@code REDACT_KINDS} — which of {@code email,phone,card} to redact (default:
 * all).
 */
public final class RedactStageProvider implements StageProvider {
    private static final Map<String, Rule> RULES = Map.of(
            "email", new Rule(Pattern.compile("[\\w.+-]+@[\\w-]+(\\.[\\w-]+)+"), "[EMAIL]"),
            "card", new Rule(Pattern.compile("\\b(?:\\d[ -]?){13,19}\\b"), "[CARD]"),
            "phone", new Rule(Pattern.compile("\\+?\\(?\\d{2,4}\\)?[ .-]?\\d{3,4}[ .-]?\\d{3,4}\\b"), "[PHONE]"));

    /** Tandem finds providers through ServiceLoader: they need a public no-argument constructor. */
    public RedactStageProvider() {}

    @Override
    public String name() {
        return "redact";
    }

    /** Called once per instance: read settings (and models) here, never per request. */
    @Override
    public Stage create(StageContext context) {
        String kinds = context.environment().getOrDefault("REDACT_KINDS", "email,card,phone");
        // Card numbers before phones: a card's digit run would otherwise look like phone numbers.
        List<Rule> rules = List.of("email", "card", "phone").stream()
                .filter(kind -> kinds.contains(kind))
                .map(RULES::get)
                .toList();
        for (String kind : kinds.split(",", -1)) {
            if (!RULES.containsKey(kind.strip())) {
                throw new IllegalArgumentException("REDACT_KINDS names '" + kind + "'; known: email, card, phone");
            }
        }
        return new Redact(rules);
    }

    private record Rule(Pattern pattern, String placeholder) {
        String apply(String text) {
            return pattern.matcher(text).replaceAll(placeholder);
        }
    }

    /** Immutable after construction, so safe to call from many threads at once. */
    private static final class Redact implements Stage {
        private static final ObjectMapper JSON = new ObjectMapper();
        private final List<Rule> rules;

        Redact(List<Rule> rules) {
            this.rules = rules;
        }

        @Override
        public StageResponse invoke(StageRequest request) {
            String type = request.contentType() == null ? MediaTypes.TEXT : request.contentType();
            if (MediaTypes.essence(type).equals(MediaTypes.JSON)) {
                try {
                    JsonNode redacted = redact(JSON.readTree(request.body().unsafeArray()));
                    return StageResponse.of(Payload.wrap(JSON.writeValueAsBytes(redacted)), type);
                } catch (JsonProcessingException e) {
                    throw StageException.badInput("the body is not valid JSON: " + e.getOriginalMessage());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return StageResponse.of(Payload.utf8(redact(request.body().asUtf8())), type);
        }

        private String redact(String text) {
            String out = text;
            for (Rule rule : rules) {
                out = rule.apply(out);
            }
            return out;
        }

        private JsonNode redact(JsonNode node) {
            if (node.isTextual()) {
                return TextNode.valueOf(redact(node.textValue()));
            }
            if (node instanceof ArrayNode array) {
                for (int i = 0; i < array.size(); i++) {
                    array.set(i, redact(array.get(i)));
                }
            } else if (node instanceof ObjectNode object) {
                object.properties().forEach(field -> field.setValue(redact(field.getValue())));
            }
            return node;
        }

        /** The content types Tandem checks before calling invoke (415 for any other). */
        @Override
        public List<String> accepts() {
            return List.of(MediaTypes.TEXT, MediaTypes.JSON);
        }

        /** Regular expressions over a request's text: microseconds, no I/O, no native code. */
        @Override
        public boolean nonBlocking() {
            return true;
        }
    }
}
