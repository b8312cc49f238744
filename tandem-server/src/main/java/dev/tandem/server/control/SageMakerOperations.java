package dev.tandem.server.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.core.error.ErrorKind;
import dev.tandem.core.error.TandemException;
import dev.tandem.core.error.ValidationException;
import dev.tandem.server.batch.TransformJobs;
import dev.tandem.server.control.Deployment.VariantDeployment;
import dev.tandem.server.endpoint.Endpoint;
import dev.tandem.server.endpoint.Instance;
import dev.tandem.server.endpoint.ServerlessConfig;
import dev.tandem.server.endpoint.ServerlessScaler;
import dev.tandem.server.endpoint.Variant;
import dev.tandem.server.store.StoredEndpoint;
import dev.tandem.server.store.StoredEndpointConfig;
import dev.tandem.server.store.StoredModel;
import dev.tandem.server.store.StoredTransformJob;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The SageMaker control-plane operations Tandem serves, mapped between their JSON shapes
 * ({@code api/sagemaker-control-plane.json}) and the {@link ControlPlane}. Requests arrive
 * already validated against the service model.
 */
final class SageMakerOperations {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ControlPlane control;
    private final TransformJobs transformJobs;
    private final FeatureGroupOperations featureGroups;

    SageMakerOperations(ControlPlane control, TransformJobs transformJobs, FeatureGroupOperations featureGroups) {
        this.control = control;
        this.transformJobs = transformJobs;
        this.featureGroups = featureGroups;
    }

    /** Whether {@code operation} is one this server serves. */
    static boolean serves(String operation) {
        return switch (operation) {
            case "CreateModel",
                    "DescribeModel",
                    "ListModels",
                    "DeleteModel",
                    "CreateEndpointConfig",
                    "DescribeEndpointConfig",
                    "ListEndpointConfigs",
                    "DeleteEndpointConfig",
                    "CreateEndpoint",
                    "DescribeEndpoint",
                    "ListEndpoints",
                    "UpdateEndpoint",
                    "UpdateEndpointWeightsAndCapacities",
                    "DeleteEndpoint",
                    "CreateTransformJob",
                    "DescribeTransformJob",
                    "ListTransformJobs",
                    "StopTransformJob" -> true;
            default -> FeatureGroupOperations.serves(operation);
        };
    }

    ObjectNode handle(String operation, JsonNode request) {
        if (FeatureGroupOperations.serves(operation)) {
            return featureGroups.handle(operation, request);
        }
        return switch (operation) {
            case "CreateModel" ->
                object("ModelArn", control.createModel(request).arn());
            case "DescribeModel" -> describeModel(control.model(text(request, "ModelName")));
            case "ListModels" ->
                list(
                        request,
                        "Models",
                        control.models(),
                        StoredModel::name,
                        StoredModel::createdAt,
                        m -> "",
                        this::modelSummary);
            case "DeleteModel" -> {
                control.deleteModel(text(request, "ModelName"));
                yield JSON.createObjectNode();
            }
            case "CreateEndpointConfig" ->
                object(
                        "EndpointConfigArn",
                        control.createEndpointConfig(request).arn());
            case "DescribeEndpointConfig" ->
                describeEndpointConfig(control.endpointConfig(text(request, "EndpointConfigName")));
            case "ListEndpointConfigs" ->
                list(
                        request,
                        "EndpointConfigs",
                        control.endpointConfigs(),
                        StoredEndpointConfig::name,
                        StoredEndpointConfig::createdAt,
                        c -> "",
                        this::configSummary);
            case "DeleteEndpointConfig" -> {
                control.deleteEndpointConfig(text(request, "EndpointConfigName"));
                yield JSON.createObjectNode();
            }
            case "CreateEndpoint" ->
                object(
                        "EndpointArn",
                        control.createEndpoint(text(request, "EndpointName"), text(request, "EndpointConfigName"))
                                .arn());
            case "DescribeEndpoint" -> describeEndpoint(control.endpoint(text(request, "EndpointName")));
            case "ListEndpoints" -> listEndpoints(request);
            case "UpdateEndpoint" -> {
                control.updateEndpoint(text(request, "EndpointName"), text(request, "EndpointConfigName"));
                yield object("EndpointArn", control.arns().endpoint(text(request, "EndpointName")));
            }
            case "UpdateEndpointWeightsAndCapacities" -> updateWeights(request);
            case "DeleteEndpoint" -> {
                control.deleteEndpoint(text(request, "EndpointName"));
                yield JSON.createObjectNode();
            }
            case "CreateTransformJob" ->
                object(
                        "TransformJobArn",
                        transformJobs.create((ObjectNode) request).arn());
            case "DescribeTransformJob" -> describeTransformJob(transformJobs.job(text(request, "TransformJobName")));
            case "ListTransformJobs" ->
                list(
                        request,
                        "TransformJobSummaries",
                        transformJobs(request),
                        StoredTransformJob::name,
                        StoredTransformJob::createdAt,
                        StoredTransformJob::status,
                        this::transformJobSummary);
            case "StopTransformJob" -> {
                transformJobs.stop(text(request, "TransformJobName"));
                yield JSON.createObjectNode();
            }
            default ->
                throw new TandemException(ErrorKind.UNKNOWN_OPERATION, "Operation " + operation + " is not supported.");
        };
    }

    private ObjectNode describeTransformJob(StoredTransformJob job) {
        ObjectNode out = (ObjectNode) read(job.definition());
        out.remove("Tags");
        out.put("TransformJobArn", job.arn());
        out.put("TransformJobStatus", job.status());
        if (job.failureReason() != null) {
            out.put("FailureReason", job.failureReason());
        }
        out.put("CreationTime", seconds(job.createdAt()));
        if (job.startedAt() != null) {
            out.put("TransformStartTime", seconds(job.startedAt()));
        }
        if (job.endedAt() != null) {
            out.put("TransformEndTime", seconds(job.endedAt()));
        }
        return out;
    }

    private List<StoredTransformJob> transformJobs(JsonNode request) {
        List<StoredTransformJob> jobs = new ArrayList<>(transformJobs.jobs());
        if (request.has("StatusEquals")) {
            String status = request.path("StatusEquals").asText();
            jobs.removeIf(job -> !job.status().equals(status));
        }
        if (request.has("LastModifiedTimeAfter")) {
            Instant after = instant(request.get("LastModifiedTimeAfter"));
            jobs.removeIf(job -> !job.lastModifiedAt().isAfter(after));
        }
        if (request.has("LastModifiedTimeBefore")) {
            Instant before = instant(request.get("LastModifiedTimeBefore"));
            jobs.removeIf(job -> !job.lastModifiedAt().isBefore(before));
        }
        return jobs;
    }

    private ObjectNode transformJobSummary(StoredTransformJob job) {
        ObjectNode out = JSON.createObjectNode();
        out.put("TransformJobName", job.name());
        out.put("TransformJobArn", job.arn());
        out.put("CreationTime", seconds(job.createdAt()));
        if (job.endedAt() != null) {
            out.put("TransformEndTime", seconds(job.endedAt()));
        }
        out.put("LastModifiedTime", seconds(job.lastModifiedAt()));
        out.put("TransformJobStatus", job.status());
        if (job.failureReason() != null) {
            out.put("FailureReason", job.failureReason());
        }
        return out;
    }

    private ObjectNode describeModel(StoredModel model) {
        ObjectNode definition = (ObjectNode) read(model.definition());
        ObjectNode out = JSON.createObjectNode();
        out.put("ModelName", model.name());
        for (String member : List.of(
                "PrimaryContainer",
                "Containers",
                "InferenceExecutionConfig",
                "ExecutionRoleArn",
                "VpcConfig",
                "EnableNetworkIsolation")) {
            if (definition.has(member)) {
                out.set(member, definition.get(member));
            }
        }
        if (definition.has("ModelContainers") && !definition.has("Containers")) {
            out.set("Containers", definition.get("ModelContainers"));
        }
        out.put("CreationTime", seconds(model.createdAt()));
        out.put("ModelArn", model.arn());
        return out;
    }

    private ObjectNode modelSummary(StoredModel model) {
        ObjectNode out = JSON.createObjectNode();
        out.put("ModelName", model.name());
        out.put("ModelArn", model.arn());
        out.put("CreationTime", seconds(model.createdAt()));
        return out;
    }

    private ObjectNode describeEndpointConfig(StoredEndpointConfig config) {
        ObjectNode definition = (ObjectNode) read(config.definition());
        ObjectNode out = JSON.createObjectNode();
        out.put("EndpointConfigName", config.name());
        out.put("EndpointConfigArn", config.arn());
        ArrayNode variants = out.putArray("ProductionVariants");
        for (JsonNode variant : definition.path("ProductionVariants")) {
            ObjectNode copy = variant.deepCopy();
            if (!copy.has("InitialVariantWeight")) {
                copy.put("InitialVariantWeight", 1.0);
            }
            variants.add(copy);
        }
        for (String member : List.of("DataCaptureConfig", "AsyncInferenceConfig", "KmsKeyId")) {
            if (definition.has(member)) {
                out.set(member, definition.get(member));
            }
        }
        out.put("CreationTime", seconds(config.createdAt()));
        return out;
    }

    private ObjectNode configSummary(StoredEndpointConfig config) {
        ObjectNode out = JSON.createObjectNode();
        out.put("EndpointConfigName", config.name());
        out.put("EndpointConfigArn", config.arn());
        out.put("CreationTime", seconds(config.createdAt()));
        return out;
    }

    private ObjectNode describeEndpoint(StoredEndpoint endpoint) {
        ObjectNode out = endpointSummary(endpoint);
        out.put("EndpointConfigName", endpoint.configName());
        if (endpoint.failureReason() != null) {
            out.put("FailureReason", endpoint.failureReason());
        }
        Optional<Endpoint> live = control.live(endpoint.name());
        Deployment deployment = Deployment.fromJson(endpoint.deployment());
        if (deployment.asyncConfig() != null) {
            out.set("AsyncInferenceConfig", deployment.asyncConfig());
        }
        ArrayNode variants = out.putArray("ProductionVariants");
        for (VariantDeployment desired : deployment.variants()) {
            Optional<Variant> running = live.flatMap(e -> e.variant(desired.variantName()));
            ObjectNode variant = variants.addObject();
            variant.put("VariantName", desired.variantName());
            ArrayNode images = variant.putArray("DeployedImages");
            for (JsonNode container : containers(desired.model())) {
                ObjectNode image = images.addObject();
                image.put("SpecifiedImage", container.path("Image").asText());
                image.put("ResolvedImage", container.path("Image").asText());
                image.put("ResolutionTime", seconds(endpoint.createdAt()));
            }
            variant.put("CurrentWeight", running.map(Variant::weight).orElse(desired.weight()));
            variant.put("DesiredWeight", desired.weight());
            variant.put(
                    "CurrentInstanceCount",
                    running.map(v -> (int) v.instances().stream()
                                    .filter(Instance::isHealthy)
                                    .count())
                            .orElse(0));
            ServerlessConfig serverless = desired.serverless();
            if (serverless == null) {
                variant.put("DesiredInstanceCount", desired.instanceCount());
            } else {
                // Current is what the running variant uses: it changes in place, before the store.
                ServerlessConfig current = running.map(Variant::serverless)
                        .map(ServerlessScaler::config)
                        .orElse(serverless);
                variant.set("CurrentServerlessConfig", Deployment.serverlessJson(current));
                variant.set("DesiredServerlessConfig", Deployment.serverlessJson(serverless));
            }
            ArrayNode statuses = variant.putArray("VariantStatus");
            String status = endpoint.status();
            if (!status.equals(EndpointStatus.InService.name()) && !status.equals(EndpointStatus.Failed.name())) {
                ObjectNode variantStatus = statuses.addObject();
                variantStatus.put("Status", status.equals(EndpointStatus.SystemUpdating.name()) ? "Updating" : status);
                variantStatus.put("StartTime", seconds(endpoint.lastModifiedAt()));
            }
        }
        return out;
    }

    private ObjectNode endpointSummary(StoredEndpoint endpoint) {
        ObjectNode out = JSON.createObjectNode();
        out.put("EndpointName", endpoint.name());
        out.put("EndpointArn", endpoint.arn());
        out.put("CreationTime", seconds(endpoint.createdAt()));
        out.put("LastModifiedTime", seconds(endpoint.lastModifiedAt()));
        out.put("EndpointStatus", endpoint.status());
        return out;
    }

    private ObjectNode listEndpoints(JsonNode request) {
        List<StoredEndpoint> endpoints = new ArrayList<>(control.endpoints());
        if (request.has("StatusEquals")) {
            String status = request.path("StatusEquals").asText();
            endpoints.removeIf(e -> !e.status().equals(status));
        }
        if (request.has("LastModifiedTimeAfter")) {
            Instant after = instant(request.get("LastModifiedTimeAfter"));
            endpoints.removeIf(e -> !e.lastModifiedAt().isAfter(after));
        }
        if (request.has("LastModifiedTimeBefore")) {
            Instant before = instant(request.get("LastModifiedTimeBefore"));
            endpoints.removeIf(e -> !e.lastModifiedAt().isBefore(before));
        }
        return list(
                request,
                "Endpoints",
                endpoints,
                StoredEndpoint::name,
                StoredEndpoint::createdAt,
                StoredEndpoint::status,
                this::endpointSummary);
    }

    private ObjectNode updateWeights(JsonNode request) {
        String name = text(request, "EndpointName");
        Map<String, Double> weights = new LinkedHashMap<>();
        Map<String, Integer> counts = new LinkedHashMap<>();
        Map<String, ControlPlane.ServerlessUpdate> serverless = new LinkedHashMap<>();
        for (JsonNode desired : request.path("DesiredWeightsAndCapacities")) {
            String variant = desired.path("VariantName").asText();
            if (desired.has("DesiredWeight")) {
                weights.put(variant, desired.path("DesiredWeight").asDouble());
            }
            if (desired.has("DesiredInstanceCount")) {
                counts.put(variant, desired.path("DesiredInstanceCount").asInt());
            }
            JsonNode update = desired.get("ServerlessUpdateConfig");
            if (update != null) {
                serverless.put(
                        variant,
                        new ControlPlane.ServerlessUpdate(
                                update.has("MaxConcurrency")
                                        ? update.path("MaxConcurrency").asInt()
                                        : null,
                                update.has("ProvisionedConcurrency")
                                        ? update.path("ProvisionedConcurrency").asInt()
                                        : null));
            }
        }
        control.updateWeightsAndCapacities(name, weights, counts, serverless);
        return object("EndpointArn", control.arns().endpoint(name));
    }

    /**
     * A List* answer: filtered by NameContains and creation time, sorted by SortBy/SortOrder, paged
     * by MaxResults and NextToken.
     */
    static <T> ObjectNode list(
            JsonNode request,
            String member,
            List<T> all,
            Function<T, String> name,
            Function<T, Instant> created,
            Function<T, String> status,
            Function<T, ObjectNode> summary) {
        List<T> items = new ArrayList<>(all);
        if (request.has("NameContains")) {
            String part = request.path("NameContains").asText().toLowerCase(Locale.ROOT);
            items.removeIf(item -> !name.apply(item).toLowerCase(Locale.ROOT).contains(part));
        }
        if (request.has("CreationTimeAfter")) {
            Instant after = instant(request.get("CreationTimeAfter"));
            items.removeIf(item -> !created.apply(item).isAfter(after));
        }
        if (request.has("CreationTimeBefore")) {
            Instant before = instant(request.get("CreationTimeBefore"));
            items.removeIf(item -> !created.apply(item).isBefore(before));
        }
        Comparator<T> order =
                switch (request.path("SortBy").asText("CreationTime")) {
                    case "Name" -> Comparator.comparing(name);
                    case "Status", "FeatureGroupStatus" ->
                        Comparator.comparing(status).thenComparing(name);
                    default -> Comparator.comparing(created).thenComparing(name);
                };
        // SageMaker lists newest first unless asked otherwise.
        items.sort(request.path("SortOrder").asText("Descending").equals("Ascending") ? order : order.reversed());
        int from = request.has("NextToken") ? offset(request.path("NextToken").asText()) : 0;
        int size = request.path("MaxResults").asInt(10);
        ObjectNode out = JSON.createObjectNode();
        ArrayNode page = out.putArray(member);
        int to = Math.min(items.size(), from + size);
        for (int i = from; i < to; i++) {
            page.add(summary.apply(items.get(i)));
        }
        if (to < items.size()) {
            out.put(
                    "NextToken",
                    Base64.getUrlEncoder().encodeToString(("offset:" + to).getBytes(StandardCharsets.UTF_8)));
        }
        return out;
    }

    private static int offset(String token) {
        try {
            String decoded = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
            if (decoded.startsWith("offset:")) {
                return Integer.parseInt(decoded.substring("offset:".length()));
            }
        } catch (IllegalArgumentException e) {
            // fall through to the refusal below
        }
        throw new ValidationException("Invalid pagination token: NextToken must be one this server returned.");
    }

    private static List<JsonNode> containers(JsonNode model) {
        List<JsonNode> containers = new ArrayList<>();
        model.path("Containers").forEach(containers::add);
        model.path("ModelContainers").forEach(containers::add);
        if (model.has("PrimaryContainer")) {
            containers.add(model.get("PrimaryContainer"));
        }
        return containers;
    }

    private static String text(JsonNode request, String member) {
        return request.path(member).asText();
    }

    private static ObjectNode object(String member, String value) {
        ObjectNode out = JSON.createObjectNode();
        out.put(member, value);
        return out;
    }

    /** json 1.1 timestamps: epoch seconds with milliseconds. */
    static double seconds(Instant instant) {
        return instant.toEpochMilli() / 1000.0;
    }

    static Instant instant(JsonNode value) {
        if (value.isNumber()) {
            return Instant.ofEpochMilli(Math.round(value.asDouble() * 1000));
        }
        return Instant.parse(value.asText());
    }

    private static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("stored definition is not valid JSON", e);
        }
    }
}
