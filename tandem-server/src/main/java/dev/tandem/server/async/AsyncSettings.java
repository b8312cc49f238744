package dev.tandem.server.async;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tandem.core.error.ValidationException;
import dev.tandem.runtime.storage.Location;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An endpoint's {@code AsyncInferenceConfig}: how many invocations run at once per instance, where
 * results and failures are written, and which topics hear of them.
 *
 * @param maxConcurrentPerInstance {@code ClientConfig.MaxConcurrentInvocationsPerInstance}; {@value
 *     #DEFAULT_CONCURRENCY} when not given (SageMaker "chooses an optimal value")
 * @param outputPath {@code OutputConfig.S3OutputPath}
 * @param failurePath {@code OutputConfig.S3FailurePath}; failures go under the output path when
 *     it is not given, so that every request still ends in exactly one object
 * @param successTopic {@code NotificationConfig.SuccessTopic}, or null for no success notifications
 * @param errorTopic {@code NotificationConfig.ErrorTopic}, or null for no error notifications
 * @param responseInSuccess whether success notifications carry the answer (when it is at most 128 KB)
 * @param responseInError whether error notifications carry the container's error answer
 */
public record AsyncSettings(
        int maxConcurrentPerInstance,
        Location outputPath,
        Location failurePath,
        @Nullable String successTopic,
        @Nullable String errorTopic,
        boolean responseInSuccess,
        boolean responseInError) {

    public static final int DEFAULT_CONCURRENCY = 4;

    public AsyncSettings {
        Objects.requireNonNull(outputPath, "outputPath");
        Objects.requireNonNull(failurePath, "failurePath");
        if (maxConcurrentPerInstance < 1) {
            throw new IllegalArgumentException(
                    "MaxConcurrentInvocationsPerInstance is at least 1, got " + maxConcurrentPerInstance);
        }
    }

    /**
     * Reads an {@code AsyncInferenceConfig} already checked against the service model.
     *
     * @return null when {@code config} is null (a real-time endpoint)
     * @throws ValidationException naming what is missing or wrong
     */
    public static @Nullable AsyncSettings of(@Nullable JsonNode config) {
        if (config == null || config.isNull()) {
            return null;
        }
        JsonNode output = config.path("OutputConfig");
        if (!output.has("S3OutputPath")) {
            throw new ValidationException("AsyncInferenceConfig.OutputConfig.S3OutputPath is required: it is where"
                    + " the results of asynchronous invocations are written.");
        }
        Location outputPath =
                Location.parse(output.path("S3OutputPath").asText(), "AsyncInferenceConfig.OutputConfig.S3OutputPath");
        Location failurePath = output.has("S3FailurePath")
                ? Location.parse(
                        output.path("S3FailurePath").asText(), "AsyncInferenceConfig.OutputConfig.S3FailurePath")
                : outputPath;
        JsonNode notifications = output.path("NotificationConfig");
        boolean responseInSuccess = false;
        boolean responseInError = false;
        for (JsonNode topic : notifications.path("IncludeInferenceResponseIn")) {
            responseInSuccess |= topic.asText().equals("SUCCESS_NOTIFICATION_TOPIC");
            responseInError |= topic.asText().equals("ERROR_NOTIFICATION_TOPIC");
        }
        return new AsyncSettings(
                config.path("ClientConfig")
                        .path("MaxConcurrentInvocationsPerInstance")
                        .asInt(DEFAULT_CONCURRENCY),
                outputPath,
                failurePath,
                text(notifications, "SuccessTopic"),
                text(notifications, "ErrorTopic"),
                responseInSuccess,
                responseInError);
    }

    /**
     * Where a request's answer goes, as SageMaker names it: {@code OUTPUT/[EXTENSION/]ID.out}, or
     * {@code OUTPUT/[EXTENSION/]FILENAME} when the client named the file.
     */
    public Location outputLocation(String id, @Nullable String extension, @Nullable String filename) {
        return under(outputPath, extension).child(filename != null ? filename : id + ".out");
    }

    /** Where a request's failure goes: {@code FAILURE/[EXTENSION/]ID-error.out} (or FILENAME's stem). */
    public Location failureLocation(String id, @Nullable String extension, @Nullable String filename) {
        String stem = filename == null
                ? id
                : filename.contains(".") ? filename.substring(0, filename.indexOf('.')) : filename;
        return under(failurePath, extension).child(stem + "-error.out");
    }

    private static Location under(Location base, @Nullable String extension) {
        if (extension == null) {
            return base;
        }
        Location folder = base;
        for (String part : extension.split("/", -1)) {
            if (!part.isEmpty()) {
                folder = folder.child(part);
            }
        }
        return folder;
    }

    private static @Nullable String text(JsonNode node, String member) {
        JsonNode value = node.get(member);
        return value == null || value.isNull() ? null : value.asText();
    }
}
