package dev.tandem.server.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.core.error.ValidationException;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The JSONPath subset SageMaker documents for batch transform's {@code InputFilter} and {@code
 * OutputFilter}: {@code $} (everything), member access {@code $.a.b}, several members {@code
 * $['a','b']} (an object of those), and for arrays — CSV rows are arrays of their columns — indices
 * and slices {@code $[0]}, {@code $[1:]}, {@code $[:-1]}, {@code $[0,2:4]} (an array of those).
 */
public sealed interface JsonPath {

    /** Selects from {@code value}; null when nothing matches. */
    @Nullable
    JsonNode select(JsonNode value);

    static JsonPath parse(String expression, String member) {
        String text = expression.strip();
        if (text.equals("$")) {
            return new Root();
        }
        if (!text.startsWith("$")) {
            throw invalid(expression, member);
        }
        String rest = text.substring(1);
        if (rest.startsWith("[") && rest.endsWith("]") && !rest.startsWith("['")) {
            List<Piece> pieces = new ArrayList<>();
            for (String part : rest.substring(1, rest.length() - 1).split(",", -1)) {
                pieces.add(Piece.parse(part.strip(), expression, member));
            }
            return new Elements(pieces);
        }
        if (rest.startsWith("['") && rest.endsWith("']")) {
            List<String> names = new ArrayList<>();
            for (String part : rest.substring(1, rest.length() - 1).split(",", -1)) {
                String name = part.strip();
                if (name.length() < 2 || !name.startsWith("'") || !name.endsWith("'")) {
                    throw invalid(expression, member);
                }
                names.add(name.substring(1, name.length() - 1));
            }
            return new Members(names);
        }
        if (rest.startsWith(".") && rest.length() > 1) {
            List<String> names = List.of(rest.substring(1).split("\\.", -1));
            if (names.stream().anyMatch(name -> name.isEmpty() || !name.matches("[\\w-]+"))) {
                throw invalid(expression, member);
            }
            return new Descend(names);
        }
        throw invalid(expression, member);
    }

    private static ValidationException invalid(String expression, String member) {
        return new ValidationException(member + " '" + expression + "' is not a JSONPath Tandem supports: use $,"
                + " $.a.b, $['a','b'], or indices and slices such as $[0], $[1:], $[0,2:4], $[:-1].");
    }

    /** {@code $}: the value itself. */
    record Root() implements JsonPath {
        @Override
        public JsonNode select(JsonNode value) {
            return value;
        }
    }

    /** {@code $.a.b}: a member of a member. */
    record Descend(List<String> names) implements JsonPath {
        @Override
        public @Nullable JsonNode select(JsonNode value) {
            JsonNode current = value;
            for (String name : names) {
                current = current.get(name);
                if (current == null) {
                    return null;
                }
            }
            return current;
        }
    }

    /** {@code $['a','b']}: an object of the named members that exist. */
    record Members(List<String> names) implements JsonPath {
        @Override
        public @Nullable JsonNode select(JsonNode value) {
            if (!value.isObject()) {
                return null;
            }
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            for (String name : names) {
                JsonNode member = value.get(name);
                if (member != null) {
                    out.set(name, member);
                }
            }
            return out;
        }
    }

    /** {@code $[0,2:4]}: the array of the chosen elements, in the order written. */
    record Elements(List<Piece> pieces) implements JsonPath {
        @Override
        public @Nullable JsonNode select(JsonNode value) {
            if (!value.isArray()) {
                return null;
            }
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            for (Piece piece : pieces) {
                int size = value.size();
                int from = piece.from(size);
                int to = piece.to(size);
                for (int i = Math.max(0, from); i < Math.min(size, to); i++) {
                    out.add(value.get(i));
                }
            }
            return out;
        }
    }

    /** One index ({@code end} null) or slice of an {@link Elements} path; negatives count from the end. */
    record Piece(@Nullable Integer start, @Nullable Integer end, boolean slice) {
        static Piece parse(String text, String expression, String member) {
            try {
                int colon = text.indexOf(':');
                if (colon < 0) {
                    return new Piece(Integer.parseInt(text), null, false);
                }
                String start = text.substring(0, colon).strip();
                String end = text.substring(colon + 1).strip();
                return new Piece(
                        start.isEmpty() ? null : Integer.parseInt(start),
                        end.isEmpty() ? null : Integer.parseInt(end),
                        true);
            } catch (NumberFormatException e) {
                throw invalid(expression, member);
            }
        }

        int from(int size) {
            int value = start == null ? 0 : start;
            return value < 0 ? size + value : value;
        }

        int to(int size) {
            if (!slice) {
                return from(size) + 1;
            }
            int value = end == null ? size : end;
            return value < 0 ? size + value : value;
        }
    }
}
