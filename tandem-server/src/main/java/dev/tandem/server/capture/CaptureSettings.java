package dev.tandem.server.capture;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tandem.core.error.ValidationException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * An endpoint's {@code DataCaptureConfig}: what share of requests to capture, which sides, where,
 * and how to encode bodies by content type.
 *
 * @param samplingPercentage 0 to 100 ({@code InitialSamplingPercentage})
 * @param destination the folder captures go under ({@code DestinationS3Uri}, a {@code file:} path)
 */
public record CaptureSettings(
        int samplingPercentage,
        boolean input,
        boolean output,
        Path destination,
        Set<String> csvContentTypes,
        Set<String> jsonContentTypes) {

    public CaptureSettings {
        csvContentTypes = Set.copyOf(csvContentTypes);
        jsonContentTypes = Set.copyOf(jsonContentTypes);
    }

    /**
     * Reads a DataCaptureConfig (already checked against the service model); null when it is
     * absent or disabled.
     *
     * @throws ValidationException when its destination is not one this server can write
     */
    public static @Nullable CaptureSettings of(@Nullable JsonNode config) {
        if (config == null || config.isNull() || !config.path("EnableCapture").asBoolean(true)) {
            return null;
        }
        String uri = config.path("DestinationS3Uri").asText();
        if (!uri.startsWith("file:")) {
            throw new ValidationException("DataCaptureConfig.DestinationS3Uri " + uri
                    + ": only file: destinations are supported by this server; S3 needs an object store configured");
        }
        String path = uri.substring("file:".length());
        boolean input = false;
        boolean output = false;
        for (JsonNode option : config.path("CaptureOptions")) {
            switch (option.path("CaptureMode").asText()) {
                case "Input" -> input = true;
                case "Output" -> output = true;
                default -> {
                    input = true;
                    output = true;
                }
            }
        }
        return new CaptureSettings(
                config.path("InitialSamplingPercentage").asInt(),
                input,
                output,
                Path.of(path.startsWith("//") ? path.substring(2) : path).toAbsolutePath(),
                types(config.path("CaptureContentTypeHeader").path("CsvContentTypes")),
                types(config.path("CaptureContentTypeHeader").path("JsonContentTypes")));
    }

    private static Set<String> types(JsonNode list) {
        Set<String> types = new HashSet<>();
        list.forEach(type -> types.add(type.asText().toLowerCase(Locale.ROOT)));
        return types;
    }

    /** SageMaker's encoding of a captured body: CSV or JSON as text when the type says so, else BASE64. */
    String encoding(@Nullable String contentType) {
        if (contentType == null) {
            return "BASE64";
        }
        String type = contentType.toLowerCase(Locale.ROOT).split(";", 2)[0].trim();
        if (csvContentTypes.contains(type)) {
            return "CSV";
        }
        if (jsonContentTypes.contains(type)) {
            return "JSON";
        }
        return "BASE64";
    }
}
