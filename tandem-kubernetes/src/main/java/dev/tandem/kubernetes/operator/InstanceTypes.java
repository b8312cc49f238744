package dev.tandem.kubernetes.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What an instance's pod asks of its node, by SageMaker instance type. A SageMaker instance is a
 * machine of the type's size, all of it the model's; on a cluster it is a pod that requests the
 * type's CPUs and memory (and GPUs), with its memory as the limit — past it the pod is stopped, as
 * a SageMaker instance out of memory is. The sizes of the common types ship with Tandem
 * ({@code instance-types.json}); a cluster whose nodes are smaller, or that names its own types,
 * gives its own with {@code tandem kubernetes operator --instance-types FILE}, the same JSON:
 * {@code {"ml.m5.large": {"cpu": "1500m", "memory": "6Gi"}, "ml.g5.xlarge": {"cpu": "4",
 * "memory": "16Gi", "gpus": 1}}}. A type it does not know runs without requests.
 */
public final class InstanceTypes {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String GPU = "nvidia.com/gpu";

    /** One type's size: Kubernetes quantities for CPU and memory, and a count of GPUs. */
    public record Size(String cpu, String memory, int gpus) {}

    private final Map<String, Size> sizes;

    private InstanceTypes(Map<String, Size> sizes) {
        this.sizes = Map.copyOf(sizes);
    }

    /** The sizes Tandem ships: SageMaker's for its common types. */
    public static InstanceTypes defaults() {
        try (InputStream in = InstanceTypes.class.getResourceAsStream("instance-types.json")) {
            if (in == null) {
                throw new IllegalStateException("instance-types.json is missing from Tandem's jar");
            }
            return new InstanceTypes(read(JSON.readTree(in), "instance-types.json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * These sizes, with those of {@code file} added or put in their place.
     *
     * @throws IllegalArgumentException when the file cannot be read or a size in it is not valid,
     *     naming the type and the problem
     */
    public InstanceTypes with(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read instance types from " + file + ": " + e.getMessage(), e);
        }
        Map<String, Size> merged = new HashMap<>(sizes);
        merged.putAll(read(root, file.toString()));
        return new InstanceTypes(merged);
    }

    public Optional<Size> size(String instanceType) {
        return Optional.ofNullable(sizes.get(instanceType));
    }

    /** What a pod of {@code instanceType} requests and is limited to; null for a type not known. */
    @Nullable
    ResourceRequirements resources(@Nullable String instanceType) {
        Size size = instanceType == null ? null : sizes.get(instanceType);
        if (size == null) {
            return null;
        }
        ResourceRequirementsBuilder resources = new ResourceRequirementsBuilder()
                .addToRequests("cpu", new Quantity(size.cpu()))
                .addToRequests("memory", new Quantity(size.memory()))
                .addToLimits("memory", new Quantity(size.memory()));
        if (size.gpus() > 0) {
            // GPUs are requested by their limit: Kubernetes does not share them.
            resources.addToLimits(GPU, new Quantity(Integer.toString(size.gpus())));
        }
        return resources.build();
    }

    private static Map<String, Size> read(JsonNode root, String source) {
        if (!root.isObject()) {
            throw new IllegalArgumentException(source + " must be a JSON object of instance types");
        }
        Map<String, Size> sizes = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            JsonNode size = entry.getValue();
            String cpu = size.path("cpu").asText("");
            String memory = size.path("memory").asText("");
            int gpus = size.path("gpus").asInt(0);
            if (cpu.isEmpty() || memory.isEmpty() || gpus < 0) {
                throw new IllegalArgumentException(source + ": instance type " + entry.getKey()
                        + " needs \"cpu\" and \"memory\" (Kubernetes quantities such as \"2\" and \"8Gi\")"
                        + " and at most a non-negative \"gpus\"");
            }
            try {
                Quantity.getAmountInBytes(new Quantity(cpu));
                Quantity.getAmountInBytes(new Quantity(memory));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        source + ": instance type " + entry.getKey() + " has a size that is not a quantity: "
                                + e.getMessage(),
                        e);
            }
            sizes.put(entry.getKey(), new Size(cpu, memory, gpus));
        }
        return sizes;
    }
}
