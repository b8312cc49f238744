package dev.tandem.server.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.core.error.ValidationException;
import dev.tandem.runtime.storage.Location;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A CreateTransformJob request, read once, with SageMaker's defaults applied.
 *
 * @param strategy {@code BatchStrategy}, or null to ask the container, then default to
 *     SingleRecord
 * @param maxPayloadMb {@code MaxPayloadInMB}, or null to ask the container, then default to 6
 * @param maxConcurrent {@code MaxConcurrentTransforms}, or null (0 or unset) to ask the
 *     container, then default to 1
 */
public record TransformJobSpec(
        String name,
        String modelName,
        InputSpec input,
        OutputSpec output,
        int instanceCount,
        @Nullable Strategy strategy,
        @Nullable Integer maxPayloadMb,
        @Nullable Integer maxConcurrent,
        Map<String, String> environment,
        String inputFilter,
        String outputFilter,
        boolean joinInput,
        Duration invocationTimeout,
        int maxRetries) {

    public static final int DEFAULT_MAX_PAYLOAD_MB = 6;

    public TransformJobSpec {
        environment = Map.copyOf(environment);
    }

    public enum Split {
        NONE,
        LINE,
        RECORD_IO
    }

    public enum Strategy {
        SINGLE_RECORD,
        MULTI_RECORD
    }

    /**
     * Where records come from.
     *
     * @param location the prefix (a folder, or a folder and the start of names) or the manifest
     * @param manifest whether {@code location} names a manifest file rather than a prefix
     */
    public record InputSpec(
            Location location, boolean manifest, @Nullable String contentType, boolean gzip, Split split) {}

    /**
     * Where results go.
     *
     * @param assembleLines {@code AssembleWith: Line}: each record's output ends with a newline
     */
    public record OutputSpec(Location location, @Nullable String accept, boolean assembleLines) {}

    /**
     * Reads a request that passed the service model's shape checks; refuses what Tandem cannot
     * run, and fills in SageMaker's defaults in {@code request} itself, which is then what
     * DescribeTransformJob echoes.
     */
    public static TransformJobSpec read(ObjectNode request) {
        JsonNode input = request.path("TransformInput");
        JsonNode source = input.path("DataSource").path("S3DataSource");
        String dataType = source.path("S3DataType").asText();
        if (!dataType.equals("S3Prefix") && !dataType.equals("ManifestFile")) {
            throw new ValidationException(
                    "S3DataType " + dataType + " is not supported; use S3Prefix or ManifestFile.");
        }
        Split split =
                switch (input.path("SplitType").asText("None")) {
                    case "None" -> Split.NONE;
                    case "Line" -> Split.LINE;
                    case "RecordIO" -> Split.RECORD_IO;
                    default ->
                        throw new ValidationException("SplitType "
                                + input.path("SplitType").asText() + " is not supported; use None, Line or RecordIO.");
                };
        ObjectNode inputNode = (ObjectNode) input;
        inputNode.put("CompressionType", input.path("CompressionType").asText("None"));
        inputNode.put("SplitType", input.path("SplitType").asText("None"));
        InputSpec inputSpec = new InputSpec(
                Location.parse(source.path("S3Uri").asText(), "TransformInput.DataSource.S3DataSource.S3Uri"),
                dataType.equals("ManifestFile"),
                text(input, "ContentType"),
                input.path("CompressionType").asText().equals("Gzip"),
                split);

        ObjectNode output = (ObjectNode) request.path("TransformOutput");
        output.put("AssembleWith", output.path("AssembleWith").asText("None"));
        OutputSpec outputSpec = new OutputSpec(
                Location.parse(output.path("S3OutputPath").asText(), "TransformOutput.S3OutputPath"),
                text(output, "Accept"),
                output.path("AssembleWith").asText().equals("Line"));

        Strategy strategy = !request.has("BatchStrategy")
                ? null
                : request.get("BatchStrategy").asText().equals("MultiRecord")
                        ? Strategy.MULTI_RECORD
                        : Strategy.SINGLE_RECORD;
        if (strategy == Strategy.MULTI_RECORD && split == Split.NONE) {
            throw new ValidationException(
                    "BatchStrategy MultiRecord needs a SplitType (Line or RecordIO) to find the records in a file.");
        }
        Integer maxPayload =
                request.has("MaxPayloadInMB") ? request.get("MaxPayloadInMB").asInt() : null;
        if (maxPayload != null && maxPayload == 0) {
            throw new ValidationException(
                    "MaxPayloadInMB 0 (chunked transfer) is not supported; give a size up to 100.");
        }
        Integer concurrent = request.path("MaxConcurrentTransforms").asInt(0) > 0
                ? request.get("MaxConcurrentTransforms").asInt()
                : null;
        if (maxPayload != null && concurrent != null && maxPayload * concurrent > 100) {
            throw new ValidationException("MaxConcurrentTransforms (" + concurrent + ") × MaxPayloadInMB (" + maxPayload
                    + ") must not exceed 100.");
        }

        ObjectNode processing = request.has("DataProcessing")
                ? (ObjectNode) request.get("DataProcessing")
                : request.putObject("DataProcessing");
        processing.put("InputFilter", processing.path("InputFilter").asText("$"));
        processing.put("OutputFilter", processing.path("OutputFilter").asText("$"));
        processing.put("JoinSource", processing.path("JoinSource").asText("None"));
        String inputFilter = processing.get("InputFilter").asText();
        String outputFilter = processing.get("OutputFilter").asText();
        JsonPath.parse(inputFilter, "DataProcessing.InputFilter");
        JsonPath.parse(outputFilter, "DataProcessing.OutputFilter");

        ObjectNode client = request.has("ModelClientConfig")
                ? (ObjectNode) request.get("ModelClientConfig")
                : request.putObject("ModelClientConfig");
        client.put(
                "InvocationsTimeoutInSeconds",
                client.path("InvocationsTimeoutInSeconds").asInt(600));
        client.put("InvocationsMaxRetries", client.path("InvocationsMaxRetries").asInt(3));

        Map<String, String> environment = new LinkedHashMap<>();
        request.path("Environment")
                .fields()
                .forEachRemaining(e -> environment.put(e.getKey(), e.getValue().asText()));

        return new TransformJobSpec(
                request.path("TransformJobName").asText(),
                request.path("ModelName").asText(),
                inputSpec,
                outputSpec,
                request.path("TransformResources").path("InstanceCount").asInt(1),
                strategy,
                maxPayload,
                concurrent,
                environment,
                inputFilter,
                outputFilter,
                processing.get("JoinSource").asText().equals("Input"),
                Duration.ofSeconds(client.get("InvocationsTimeoutInSeconds").asInt()),
                client.get("InvocationsMaxRetries").asInt());
    }

    private static @Nullable String text(JsonNode node, String member) {
        JsonNode value = node.get(member);
        return value == null || value.isNull() || value.asText().isEmpty() ? null : value.asText();
    }
}
