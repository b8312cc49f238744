package dev.tandem.server.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.core.error.ValidationException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.jspecify.annotations.Nullable;

/**
 * SageMaker's service model — the same shapes the AWS SDKs are generated from — used to validate
 * control-plane requests exactly as the service does: required members, types, lengths, ranges,
 * patterns and enums, reported in SageMaker's words ({@code 1 validation error detected: Value
 * 'x' at 'productionVariants.1.member.modelName' failed to satisfy constraint: …}).
 */
public final class ServiceModel {
    private static final String RESOURCE = "sagemaker-2017-07-24.json";

    private final JsonNode shapes;
    private final JsonNode operations;

    private ServiceModel(JsonNode model) {
        this.shapes = model.path("shapes");
        this.operations = model.path("operations");
    }

    public static ServiceModel load() {
        try (InputStream in = ServiceModel.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the class path");
            }
            return new ServiceModel(new ObjectMapper().readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    /** The input shape of {@code operation}, if the model has the operation. */
    public Optional<String> inputShape(String operation) {
        JsonNode input = operations.path(operation).path("input").path("shape");
        return input.isTextual() ? Optional.of(input.textValue()) : Optional.empty();
    }

    /**
     * Checks {@code request} against shape {@code shapeName}.
     *
     * @throws ValidationException listing every violation
     */
    public void validate(String shapeName, JsonNode request) {
        List<String> problems = new ArrayList<>();
        check(shapeName, request, "", problems);
        if (!problems.isEmpty()) {
            String count = problems.size() == 1 ? "1 validation error" : problems.size() + " validation errors";
            throw new ValidationException(count + " detected: " + String.join("; ", problems));
        }
    }

    private void check(String shapeName, @Nullable JsonNode value, String path, List<String> problems) {
        JsonNode shape = shapes.path(shapeName);
        if (value == null || value.isNull() || shape.isMissingNode()) {
            return;
        }
        String type = shape.path("type").asText();
        switch (type) {
            case "structure" -> structure(shape, value, path, problems);
            case "list" -> list(shape, value, path, problems);
            case "map" -> map(shape, value, path, problems);
            case "string" -> string(shape, value, path, problems);
            case "integer", "long" -> number(shape, value, path, problems, true);
            case "float", "double" -> number(shape, value, path, problems, false);
            case "boolean" -> {
                if (!value.isBoolean()) {
                    problems.add(violation(value, path, "Member must be a boolean"));
                }
            }
            case "timestamp" -> {
                if (!value.isNumber() && !value.isTextual()) {
                    problems.add(violation(value, path, "Member must be a timestamp"));
                }
            }
            default -> {}
        }
    }

    private void structure(JsonNode shape, JsonNode value, String path, List<String> problems) {
        if (!value.isObject()) {
            problems.add(violation(value, path, "Member must be a structure"));
            return;
        }
        JsonNode members = shape.path("members");
        for (String name : (Iterable<String>) value::fieldNames) {
            if (!members.has(name)) {
                problems.add(
                        "Member '" + name + "' at '" + (path.isEmpty() ? "request" : path) + "' is not a known member");
            }
        }
        for (JsonNode required : shape.path("required")) {
            JsonNode member = value.get(required.asText());
            if (member == null || member.isNull()) {
                problems.add("Value null at '" + join(path, required.asText())
                        + "' failed to satisfy constraint: Member must not be null");
            }
        }
        for (var member : members.properties()) {
            check(
                    member.getValue().path("shape").asText(),
                    value.get(member.getKey()),
                    join(path, member.getKey()),
                    problems);
        }
    }

    private void list(JsonNode shape, JsonNode value, String path, List<String> problems) {
        if (!value.isArray()) {
            problems.add(violation(value, path, "Member must be a list"));
            return;
        }
        length(shape, value.size(), value, path, problems);
        String member = shape.path("member").path("shape").asText();
        for (int i = 0; i < value.size(); i++) {
            check(member, value.get(i), path + "." + (i + 1) + ".member", problems);
        }
    }

    private void map(JsonNode shape, JsonNode value, String path, List<String> problems) {
        if (!value.isObject()) {
            problems.add(violation(value, path, "Member must be a map"));
            return;
        }
        length(shape, value.size(), value, path, problems);
        String valueShape = shape.path("value").path("shape").asText();
        String keyShape = shape.path("key").path("shape").asText();
        for (var entry : value.properties()) {
            check(keyShape, new com.fasterxml.jackson.databind.node.TextNode(entry.getKey()), path + ".key", problems);
            check(valueShape, entry.getValue(), path + "." + entry.getKey(), problems);
        }
    }

    private static void string(JsonNode shape, JsonNode value, String path, List<String> problems) {
        if (!value.isTextual()) {
            problems.add(violation(value, path, "Member must be a string"));
            return;
        }
        String text = value.textValue();
        length(shape, text.length(), value, path, problems);
        if (shape.has("enum")) {
            List<String> allowed = new ArrayList<>();
            shape.path("enum").forEach(e -> allowed.add(e.asText()));
            if (!allowed.contains(text)) {
                problems.add(violation(
                        value, path, "Member must satisfy enum value set: [" + String.join(", ", allowed) + "]"));
            }
        }
        if (shape.has("pattern")) {
            String pattern = shape.path("pattern").asText();
            if (!matches(pattern, text)) {
                problems.add(violation(value, path, "Member must satisfy regular expression pattern: " + pattern));
            }
        }
    }

    private static boolean matches(String pattern, String text) {
        try {
            return fullMatch(pattern, text);
        } catch (PatternSyntaxException e) {
            return true; // a pattern Java cannot read is not ours to enforce
        }
    }

    /** AWS anchors some patterns and not others; unanchored ones must still match the whole text. */
    private static boolean fullMatch(String pattern, String text) {
        String anchored = pattern.startsWith("^") ? pattern : "^(?:" + pattern + ")";
        anchored = anchored.endsWith("$") ? anchored : anchored + "$";
        return Pattern.compile(anchored).matcher(text).find();
    }

    private static void number(JsonNode shape, JsonNode value, String path, List<String> problems, boolean integral) {
        if (!value.isNumber() || (integral && !value.canConvertToLong())) {
            problems.add(violation(value, path, integral ? "Member must be an integer" : "Member must be a number"));
            return;
        }
        double number = value.asDouble();
        if (shape.has("min") && number < shape.path("min").asDouble()) {
            problems.add(violation(
                    value,
                    path,
                    "Member must have value greater than or equal to "
                            + shape.path("min").asText()));
        }
        if (shape.has("max") && number > shape.path("max").asDouble()) {
            problems.add(violation(
                    value,
                    path,
                    "Member must have value less than or equal to "
                            + shape.path("max").asText()));
        }
    }

    private static void length(JsonNode shape, int length, JsonNode value, String path, List<String> problems) {
        if (shape.has("min") && length < shape.path("min").asInt()) {
            problems.add(violation(
                    value,
                    path,
                    "Member must have length greater than or equal to "
                            + shape.path("min").asInt()));
        }
        if (shape.has("max") && length > shape.path("max").asInt()) {
            problems.add(violation(
                    value,
                    path,
                    "Member must have length less than or equal to "
                            + shape.path("max").asInt()));
        }
    }

    private static String violation(JsonNode value, String path, String constraint) {
        String shown = value.isTextual()
                ? "'" + value.textValue() + "'"
                : value.isContainerNode() ? "'" + abbreviate(value.toString()) + "'" : "'" + value.asText() + "'";
        return "Value " + shown + " at '" + path + "' failed to satisfy constraint: " + constraint;
    }

    private static String abbreviate(String text) {
        return text.length() <= 100 ? text : text.substring(0, 100) + "…";
    }

    /** AWS names members in paths lower camel case: {@code productionVariants.1.member.modelName}. */
    private static String join(String path, String member) {
        String name = member.isEmpty() ? member : member.substring(0, 1).toLowerCase(Locale.ROOT) + member.substring(1);
        return path.isEmpty() ? name : path + "." + name;
    }
}
