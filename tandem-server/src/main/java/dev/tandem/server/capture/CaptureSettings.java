package dev.tandem.server.capture;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tandem.core.error.ValidationException;
import dev.tandem.runtime.storage.S3Location;
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
 * @param destination for a {@code file:} {@code DestinationS3Uri}, the folder captures go under;
 *     for an {@code s3://} one, the bucket and prefix as a relative path, under which records are
 *     staged locally before they are uploaded
 * @param remote the {@code s3://} destination, or null for a {@code file:} one
 */
public record CaptureSettings(
        int samplingPercentage,
        boolean input,
        boolean output,
        Path destination,
        @Nullable S3Location remote,
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
        S3Location remote = null;
        Path destination;
        if (S3Location.isS3(uri)) {
            remote = S3Location.parse(uri, "DataCaptureConfig.DestinationS3Uri");
            destination = Path.of(remote.bucket(), remote.key().split("/", -1));
        } else if (uri.startsWith("file:")) {
            String path = uri.substring("file:".length());
            destination =
                    Path.of(path.startsWith("//") ? path.substring(2) : path).toAbsolutePath();
        } else {
            throw new ValidationException("DataCaptureConfig.DestinationS3Uri " + uri
                    + " must be an s3://bucket/prefix or a file:/absolute/path location");
        }
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
                destination,
                remote,
                types(config.path("CaptureContentTypeHeader").path("CsvContentTypes")),
                types(config.path("CaptureContentTypeHeader").path("JsonContentTypes")));
    }

    private static Set<String> types(JsonNode list) {
        Set<String> types = new HashSet<>();
        list.forEach(type -> types.add(type.asText().toLowerCase(Locale.ROOT)));
        return types;
    }

    /**
     * SageMaker's encoding of a captured body whose {@linkplain #mediaType media type} is {@code
     * mediaType}: CSV or JSON as text when the lists name it, else BASE64.
     */
    String encodingOf(String mediaType) {
        if (csvContentTypes.contains(mediaType)) {
            return "CSV";
        }
        if (jsonContentTypes.contains(mediaType)) {
            return "JSON";
        }
        return "BASE64";
    }

    /** A content type without its parameters, in lower case, as the content type lists hold them. */
    static String mediaType(String contentType) {
        int parameters = contentType.indexOf(';');
        return (parameters < 0 ? contentType : contentType.substring(0, parameters))
                .trim()
                .toLowerCase(Locale.ROOT);
    }
}
