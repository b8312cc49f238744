package dev.tandem.server.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.core.model.PipelineParser;
import dev.tandem.server.endpoint.ServerlessConfig;
import dev.tandem.server.endpoint.VariantSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What an endpoint runs, self-contained so that it survives the deletion of the models and
 * config it came from and a server restart: for each variant its model definition, instance
 * count, weight and startup timeout; the data capture and asynchronous inference settings. Stored
 * as JSON.
 */
record Deployment(List<VariantDeployment> variants, @Nullable JsonNode dataCapture, @Nullable JsonNode asyncConfig) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One variant: its model's CreateModel body and how it runs.
     *
     * @param minInstanceCount the count its user last asked for; an asynchronous variant scaled
     *     out from it by Tandem goes back to it when idle
     * @param serverless its serverless settings; null for a variant with a fixed instance count
     * @param instanceType the ML instance type its configuration names (what a cluster sizes its
     *     instances by); null when it names none
     */
    record VariantDeployment(
            String variantName,
            JsonNode model,
            int instanceCount,
            int minInstanceCount,
            double weight,
            Duration startupTimeout,
            @Nullable ServerlessConfig serverless,
            @Nullable String instanceType) {

        VariantSpec toSpec(PipelineParser parser, Path baseDir) {
            return new VariantSpec(
                    variantName,
                    parser.parse(model.toString().getBytes(StandardCharsets.UTF_8), baseDir),
                    instanceCount,
                    weight,
                    startupTimeout,
                    serverless);
        }

        VariantDeployment withWeight(double value) {
            return new VariantDeployment(
                    variantName,
                    model,
                    instanceCount,
                    minInstanceCount,
                    value,
                    startupTimeout,
                    serverless,
                    instanceType);
        }

        /** The count its user asked for: the new minimum too. */
        VariantDeployment withInstanceCount(int value) {
            return new VariantDeployment(
                    variantName, model, value, value, weight, startupTimeout, serverless, instanceType);
        }

        /** The count Tandem's autoscaling asked for: the minimum stays. */
        VariantDeployment withScaledCount(int value) {
            return new VariantDeployment(
                    variantName, model, value, minInstanceCount, weight, startupTimeout, serverless, instanceType);
        }

        VariantDeployment withServerless(ServerlessConfig value) {
            return new VariantDeployment(
                    variantName, model, instanceCount, minInstanceCount, weight, startupTimeout, value, instanceType);
        }
    }

    Deployment {
        variants = List.copyOf(variants);
    }

    Deployment(List<VariantDeployment> variants) {
        this(variants, null, null);
    }

    Deployment withVariants(List<VariantDeployment> next) {
        return new Deployment(next, dataCapture, asyncConfig);
    }

    List<VariantSpec> toSpecs(PipelineParser parser, Path baseDir) {
        return variants.stream().map(v -> v.toSpec(parser, baseDir)).toList();
    }

    String toJson() {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode list = root.putArray("Variants");
        for (VariantDeployment variant : variants) {
            ObjectNode node = list.addObject();
            node.put("VariantName", variant.variantName());
            node.set("Model", variant.model());
            node.put("InstanceCount", variant.instanceCount());
            node.put("MinInstanceCount", variant.minInstanceCount());
            node.put("Weight", variant.weight());
            node.put("StartupTimeoutSeconds", variant.startupTimeout().toSeconds());
            if (variant.instanceType() != null) {
                node.put("InstanceType", variant.instanceType());
            }
            ServerlessConfig serverless = variant.serverless();
            if (serverless != null) {
                node.set("ServerlessConfig", serverlessJson(serverless));
            }
        }
        if (dataCapture != null) {
            root.set("DataCaptureConfig", dataCapture);
        }
        if (asyncConfig != null) {
            root.set("AsyncInferenceConfig", asyncConfig);
        }
        return root.toString();
    }

    /** SageMaker's ProductionVariantServerlessConfig, with the Python SDK's defaults for what is missing. */
    static ServerlessConfig serverless(JsonNode config) {
        return new ServerlessConfig(
                config.path("MemorySizeInMB").asInt(ServerlessConfig.DEFAULT_MEMORY_MB),
                config.path("MaxConcurrency").asInt(ServerlessConfig.DEFAULT_MAX_CONCURRENCY),
                config.path("ProvisionedConcurrency").asInt(0));
    }

    /** A serverless config as DescribeEndpoint and the store show it. */
    static ObjectNode serverlessJson(ServerlessConfig config) {
        ObjectNode node = JSON.createObjectNode();
        node.put("MemorySizeInMB", config.memorySizeInMb());
        node.put("MaxConcurrency", config.maxConcurrency());
        if (config.provisionedConcurrency() > 0) {
            node.put("ProvisionedConcurrency", config.provisionedConcurrency());
        }
        return node;
    }

    /** Whether some variant is serverless. */
    boolean hasServerless() {
        return variants.stream().anyMatch(v -> v.serverless() != null);
    }

    static Deployment fromJson(String json) {
        try {
            JsonNode root = JSON.readTree(json);
            List<VariantDeployment> variants = new ArrayList<>();
            for (JsonNode node : root.path("Variants")) {
                int count = node.path("InstanceCount").asInt();
                variants.add(new VariantDeployment(
                        node.path("VariantName").asText(),
                        node.path("Model"),
                        count,
                        node.path("MinInstanceCount").asInt(count),
                        node.path("Weight").asDouble(),
                        Duration.ofSeconds(node.path("StartupTimeoutSeconds").asLong()),
                        node.has("ServerlessConfig") ? serverless(node.get("ServerlessConfig")) : null,
                        node.hasNonNull("InstanceType")
                                ? node.get("InstanceType").asText()
                                : null));
            }
            return new Deployment(variants, root.get("DataCaptureConfig"), root.get("AsyncInferenceConfig"));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("stored deployment is not valid JSON: " + e.getMessage(), e);
        }
    }
}
