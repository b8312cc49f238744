package dev.tandem.core.model;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.tandem.core.error.ValidationException;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Reads a pipeline file — a SageMaker {@code CreateModel} request body — into a {@link
 * PipelineDefinition}, checking every rule of the pipeline file and reporting all problems at once, each
 * naming its member ({@code Containers[2].Image}) and the reason.
 *
 * <p>Relative {@code exec:} paths and {@code file:} model data are resolved against a base
 * folder: the pipeline file's own folder, so a pipeline works from any working directory.
 */
public final class PipelineParser {
    private static final Pattern MODEL_NAME = Pattern.compile("[a-zA-Z0-9](-*[a-zA-Z0-9])*");
    private static final Pattern HOSTNAME = Pattern.compile("[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}");
    private static final Pattern ENV_KEY = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Pattern BUILTIN_NAME = Pattern.compile("[a-z0-9][a-z0-9-]*");
    private static final int MAX_NAME = 63;
    private static final int MAX_IMAGE = 255;
    private static final int MAX_URL = 1024;
    private static final int MAX_ENV_ENTRIES = 100;
    private static final int MAX_ENV_TEXT = 1024;

    private static final Set<String> MODEL_MEMBERS = Set.of(
            "ModelName",
            "PrimaryContainer",
            "Containers",
            "ModelContainers",
            "InferenceExecutionConfig",
            "ExecutionRoleArn",
            "Tags",
            "VpcConfig",
            "EnableNetworkIsolation");
    private static final Set<String> CONTAINER_MEMBERS =
            Set.of("ContainerHostname", "Image", "Environment", "ModelDataUrl", "Mode", "ImageConfig");
    /** Members of SageMaker's ContainerDefinition that Tandem knows but does not run yet. */
    private static final Set<String> UNSUPPORTED_CONTAINER_MEMBERS = Set.of(
            "ModelDataSource",
            "AdditionalModelDataSources",
            "ModelPackageName",
            "InferenceSpecificationName",
            "MultiModelConfig");

    private final ObjectMapper mapper = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    /** Reads and validates the pipeline file at {@code file}. */
    public PipelineDefinition parse(Path file) {
        byte[] json;
        try {
            json = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ValidationException("Cannot read pipeline file " + file + ": " + e.getMessage());
        }
        Path absolute = file.toAbsolutePath();
        Path base = absolute.getParent() == null ? absolute.getRoot() : absolute.getParent();
        try {
            return parse(json, base);
        } catch (ValidationException e) {
            throw new ValidationException("Pipeline file " + file + ": " + e.getMessage());
        }
    }

    /**
     * Reads and validates a {@code CreateModel} body.
     *
     * @param baseDir the folder relative {@code exec:} and {@code file:} paths are resolved against
     */
    public PipelineDefinition parse(byte[] json, Path baseDir) {
        JsonNode root;
        try {
            root = mapper.readTree(json);
        } catch (JsonParseException e) {
            throw new ValidationException("not valid JSON: " + e.getOriginalMessage() + location(e));
        } catch (IOException e) {
            throw new ValidationException("not valid JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new ValidationException("expected a JSON object (a CreateModel request body)");
        }
        return new Reader(baseDir.toAbsolutePath()).read(root);
    }

    private static String location(JsonParseException e) {
        var where = e.getLocation();
        return where == null ? "" : " (line " + where.getLineNr() + ", column " + where.getColumnNr() + ")";
    }

    /** One parse: collects every problem, then fails with all of them or builds the definition. */
    private static final class Reader {
        private final Path baseDir;
        private final List<String> problems = new ArrayList<>();

        Reader(Path baseDir) {
            this.baseDir = baseDir;
        }

        PipelineDefinition read(JsonNode root) {
            rejectUnknown(root, "", MODEL_MEMBERS, Set.of());
            String modelName = requiredText(root, "ModelName", "ModelName");
            if (modelName != null) {
                checkName(modelName, "ModelName", MODEL_NAME);
            }
            ExecutionMode mode = readMode(root.get("InferenceExecutionConfig"));
            typed(root, "ExecutionRoleArn", JsonNode::isTextual, "a string");
            typed(root, "EnableNetworkIsolation", JsonNode::isBoolean, "a boolean");
            typed(root, "Tags", JsonNode::isArray, "a list");
            typed(root, "VpcConfig", JsonNode::isObject, "an object");

            List<ContainerDefinition> containers = readContainers(root);
            if (!problems.isEmpty()) {
                String count = problems.size() == 1 ? "1 validation error" : problems.size() + " validation errors";
                throw new ValidationException(count + " detected: " + String.join("; ", problems));
            }
            // With no problems, every required member was read.
            return new PipelineDefinition(Objects.requireNonNull(modelName), mode, containers);
        }

        private ExecutionMode readMode(@Nullable JsonNode config) {
            if (config == null || config.isNull()) {
                return ExecutionMode.SERIAL;
            }
            if (!config.isObject()) {
                problems.add("InferenceExecutionConfig must be an object");
                return ExecutionMode.SERIAL;
            }
            rejectUnknown(config, "InferenceExecutionConfig.", Set.of("Mode"), Set.of());
            String mode = requiredText(config, "Mode", "InferenceExecutionConfig.Mode");
            if (mode == null) {
                return ExecutionMode.SERIAL;
            }
            return ExecutionMode.fromWireName(mode).orElseGet(() -> {
                problems.add("InferenceExecutionConfig.Mode '" + mode + "' is not one of Serial, Direct");
                return ExecutionMode.SERIAL;
            });
        }

        private List<ContainerDefinition> readContainers(JsonNode root) {
            JsonNode primary = root.get("PrimaryContainer");
            JsonNode list = root.get("Containers");
            String listName = "Containers";
            if (root.has("ModelContainers")) {
                if (list != null) {
                    problems.add("give Containers or its alias ModelContainers, not both");
                    return List.of();
                }
                list = root.get("ModelContainers");
                listName = "ModelContainers";
            }
            if (primary != null && list != null) {
                problems.add("give PrimaryContainer or " + listName + ", not both");
                return List.of();
            }
            if (primary != null) {
                if (!primary.isObject()) {
                    problems.add("PrimaryContainer must be an object");
                    return List.of();
                }
                ContainerDefinition single = readContainer(primary, "PrimaryContainer", "primary");
                return single == null ? List.of() : List.of(single);
            }
            if (list == null) {
                problems.add("one of PrimaryContainer or Containers is required");
                return List.of();
            }
            if (!list.isArray()) {
                problems.add(listName + " must be a list of container definitions");
                return List.of();
            }
            if (list.isEmpty() || list.size() > PipelineDefinition.MAX_CONTAINERS) {
                problems.add(listName + " has " + list.size() + " containers; a model has 1 to "
                        + PipelineDefinition.MAX_CONTAINERS);
                return List.of();
            }
            int named = 0;
            for (JsonNode container : list) {
                if (container.hasNonNull("ContainerHostname")) {
                    named++;
                }
            }
            if (named != 0 && named != list.size()) {
                problems.add("ContainerHostname is set on " + named + " of " + list.size()
                        + " containers; set it on all of them or on none");
            }
            List<ContainerDefinition> containers = new ArrayList<>();
            Set<String> hostnames = new HashSet<>();
            for (int i = 0; i < list.size(); i++) {
                String where = listName + "[" + (i + 1) + "]";
                JsonNode node = list.get(i);
                if (!node.isObject()) {
                    problems.add(where + " must be an object");
                    continue;
                }
                ContainerDefinition container = readContainer(node, where, "container-" + (i + 1));
                if (container == null) {
                    continue;
                }
                if (!hostnames.add(container.hostname())) {
                    problems.add(
                            where + ".ContainerHostname '" + container.hostname() + "' is used by another container");
                }
                containers.add(container);
            }
            return containers;
        }

        private @Nullable ContainerDefinition readContainer(JsonNode node, String where, String defaultHostname) {
            int before = problems.size();
            rejectUnknown(node, where + ".", CONTAINER_MEMBERS, UNSUPPORTED_CONTAINER_MEMBERS);
            String hostname = optionalText(node, "ContainerHostname", where + ".ContainerHostname");
            if (hostname != null) {
                checkName(hostname, where + ".ContainerHostname", HOSTNAME);
            }
            String image = requiredText(node, "Image", where + ".Image");
            ImageRef imageRef = null;
            if (image != null) {
                imageRef = readImage(image, where + ".Image");
            }
            Map<String, String> environment = readEnvironment(node.get("Environment"), where + ".Environment");
            URI modelData = readModelData(node, where + ".ModelDataUrl");
            String containerMode = optionalText(node, "Mode", where + ".Mode");
            if (containerMode != null && !containerMode.equals("SingleModel")) {
                problems.add(
                        where + ".Mode '" + containerMode + "' is not supported; Tandem runs SingleModel containers");
            }
            typed(node, "ImageConfig", JsonNode::isObject, "an object", where + ".");
            if (problems.size() > before || imageRef == null) {
                return null;
            }
            return new ContainerDefinition(
                    hostname == null ? defaultHostname : hostname, imageRef, environment, modelData);
        }

        private @Nullable ImageRef readImage(String image, String where) {
            if (image.isBlank() || image.length() > MAX_IMAGE) {
                problems.add(where + " must be 1 to " + MAX_IMAGE + " characters");
                return null;
            }
            if (image.startsWith("exec:")) {
                String path = image.substring("exec:".length());
                if (path.isBlank()) {
                    problems.add(where + " '" + image + "' names no program: write exec:PATH");
                    return null;
                }
                return new ImageRef.Exec(image, baseDir.resolve(path).normalize());
            }
            if (image.startsWith("builtin:")) {
                String name = image.substring("builtin:".length());
                if (!BUILTIN_NAME.matcher(name).matches()) {
                    problems.add(where + " '" + image
                            + "' must be builtin:NAME with NAME of lower-case letters, digits and dashes");
                    return null;
                }
                return new ImageRef.Builtin(image, name);
            }
            if (image.startsWith("http://") || image.startsWith("https://")) {
                try {
                    URI url = new URI(image);
                    if (url.getHost() == null) {
                        problems.add(where + " '" + image + "' has no host");
                        return null;
                    }
                    return new ImageRef.Http(image, url);
                } catch (URISyntaxException e) {
                    problems.add(where + " '" + image + "' is not a valid URL: " + e.getReason());
                    return null;
                }
            }
            return new ImageRef.Oci(image);
        }

        private Map<String, String> readEnvironment(@Nullable JsonNode env, String where) {
            Map<String, String> environment = new LinkedHashMap<>();
            if (env == null || env.isNull()) {
                return environment;
            }
            if (!env.isObject()) {
                problems.add(where + " must be an object of string values");
                return environment;
            }
            if (env.size() > MAX_ENV_ENTRIES) {
                problems.add(where + " has " + env.size() + " entries; at most " + MAX_ENV_ENTRIES);
            }
            for (var entry : env.properties()) {
                String key = entry.getKey();
                JsonNode value = entry.getValue();
                if (key.length() > MAX_ENV_TEXT || !ENV_KEY.matcher(key).matches()) {
                    problems.add(where + " key '" + key + "' must match [a-zA-Z_][a-zA-Z0-9_]*");
                } else if (!value.isTextual()) {
                    problems.add(where + "." + key + " must be a string, got " + describe(value));
                } else if (value.textValue().length() > MAX_ENV_TEXT) {
                    problems.add(where + "." + key + " is longer than " + MAX_ENV_TEXT + " characters");
                } else {
                    environment.put(key, value.textValue());
                }
            }
            return environment;
        }

        private @Nullable URI readModelData(JsonNode node, String where) {
            String url = optionalText(node, "ModelDataUrl", where);
            if (url == null) {
                return null;
            }
            if (url.isEmpty() || url.length() > MAX_URL) {
                problems.add(where + " must be 1 to " + MAX_URL + " characters");
                return null;
            }
            if (url.startsWith("file:")) {
                String path = url.substring("file:".length());
                if (path.startsWith("//")) {
                    path = path.substring(2);
                }
                if (path.isEmpty()) {
                    problems.add(where + " '" + url + "' names no path");
                    return null;
                }
                return baseDir.resolve(path).normalize().toUri();
            }
            if (url.startsWith("s3://") || url.startsWith("https://")) {
                try {
                    return new URI(url);
                } catch (URISyntaxException e) {
                    problems.add(where + " '" + url + "' is not a valid URL: " + e.getReason());
                    return null;
                }
            }
            problems.add(where + " '" + url + "' must start with file:, s3:// or https://");
            return null;
        }

        private void rejectUnknown(JsonNode node, String prefix, Set<String> known, Set<String> unsupported) {
            for (String name : (Iterable<String>) node::fieldNames) {
                if (unsupported.contains(name)) {
                    problems.add(prefix + name + " is not supported by Tandem");
                } else if (!known.contains(name)) {
                    problems.add(prefix + name + " is not a known member");
                }
            }
        }

        private @Nullable String requiredText(JsonNode node, String member, String where) {
            JsonNode value = node.get(member);
            if (value == null || value.isNull()) {
                problems.add(where + " is required");
                return null;
            }
            return text(value, where);
        }

        private @Nullable String optionalText(JsonNode node, String member, String where) {
            JsonNode value = node.get(member);
            return value == null || value.isNull() ? null : text(value, where);
        }

        private @Nullable String text(JsonNode value, String where) {
            if (!value.isTextual()) {
                problems.add(where + " must be a string, got " + describe(value));
                return null;
            }
            return value.textValue();
        }

        private void checkName(String name, String where, Pattern pattern) {
            if (name.length() > MAX_NAME || !pattern.matcher(name).matches()) {
                problems.add(where + " '" + name + "' must be 1 to " + MAX_NAME + " letters, digits and inner dashes");
            }
        }

        private void typed(JsonNode node, String member, java.util.function.Predicate<JsonNode> check, String what) {
            typed(node, member, check, what, "");
        }

        private void typed(
                JsonNode node,
                String member,
                java.util.function.Predicate<JsonNode> check,
                String what,
                String prefix) {
            JsonNode value = node.get(member);
            if (value != null && !value.isNull() && !check.test(value)) {
                problems.add(prefix + member + " must be " + what + ", got " + describe(value));
            }
        }

        private static String describe(JsonNode value) {
            return switch (value.getNodeType()) {
                case ARRAY -> "a list";
                case OBJECT -> "an object";
                case NUMBER -> "the number " + value.asText();
                case BOOLEAN -> "the boolean " + value.asText();
                case STRING -> "the string '" + value.textValue() + "'";
                default -> value.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
            };
        }
    }
}
