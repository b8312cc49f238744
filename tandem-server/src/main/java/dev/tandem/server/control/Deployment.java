package dev.tandem.server.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.core.model.PipelineParser;
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
 * count, weight and startup timeout. Stored as JSON.
 */
record Deployment(List<VariantDeployment> variants, @Nullable JsonNode dataCapture) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One variant: its model's CreateModel body and how it runs. */
    record VariantDeployment(
            String variantName, JsonNode model, int instanceCount, double weight, Duration startupTimeout) {

        VariantSpec toSpec(PipelineParser parser, Path baseDir) {
            return new VariantSpec(
                    variantName,
                    parser.parse(model.toString().getBytes(StandardCharsets.UTF_8), baseDir),
                    instanceCount,
                    weight,
                    startupTimeout);
        }

        VariantDeployment withWeight(double value) {
            return new VariantDeployment(variantName, model, instanceCount, value, startupTimeout);
        }

        VariantDeployment withInstanceCount(int value) {
            return new VariantDeployment(variantName, model, value, weight, startupTimeout);
        }
    }

    Deployment {
        variants = List.copyOf(variants);
    }

    Deployment(List<VariantDeployment> variants) {
        this(variants, null);
    }

    Deployment withVariants(List<VariantDeployment> next) {
        return new Deployment(next, dataCapture);
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
            node.put("Weight", variant.weight());
            node.put("StartupTimeoutSeconds", variant.startupTimeout().toSeconds());
        }
        if (dataCapture != null) {
            root.set("DataCaptureConfig", dataCapture);
        }
        return root.toString();
    }

    static Deployment fromJson(String json) {
        try {
            JsonNode root = JSON.readTree(json);
            List<VariantDeployment> variants = new ArrayList<>();
            for (JsonNode node : root.path("Variants")) {
                variants.add(new VariantDeployment(
                        node.path("VariantName").asText(),
                        node.path("Model"),
                        node.path("InstanceCount").asInt(),
                        node.path("Weight").asDouble(),
                        Duration.ofSeconds(node.path("StartupTimeoutSeconds").asLong())));
            }
            return new Deployment(variants, root.has("DataCaptureConfig") ? root.get("DataCaptureConfig") : null);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("stored deployment is not valid JSON: " + e.getMessage(), e);
        }
    }
}
