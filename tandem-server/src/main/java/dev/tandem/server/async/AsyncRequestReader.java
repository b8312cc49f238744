package dev.tandem.server.async;

import dev.tandem.core.error.ValidationException;
import dev.tandem.core.stage.Payload;
import dev.tandem.runtime.storage.Location;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Reads an InvokeEndpointAsync request — its {@code X-Amzn-SageMaker-*} headers and optional inline
 * body — into an {@link AsyncRequest}, checking every member as SageMaker's service model does and
 * naming each violation in SageMaker's words.
 */
public final class AsyncRequestReader {
    public static final String INPUT_LOCATION = "X-Amzn-SageMaker-InputLocation";
    public static final String CONTENT_TYPE = "X-Amzn-SageMaker-Content-Type";
    public static final String ACCEPT = "X-Amzn-SageMaker-Accept";
    public static final String CUSTOM_ATTRIBUTES = "X-Amzn-SageMaker-Custom-Attributes";
    public static final String INFERENCE_ID = "X-Amzn-SageMaker-Inference-Id";
    public static final String TTL = "X-Amzn-SageMaker-RequestTTLSeconds";
    public static final String INVOCATION_TIMEOUT = "X-Amzn-SageMaker-InvocationTimeoutSeconds";
    public static final String OUTPUT_PATH_EXTENSION = "X-Amzn-SageMaker-S3OutputPathExtension";
    public static final String FILENAME = "X-Amzn-SageMaker-Filename";

    /** The largest inline body: {@code AsyncBodyBlob}'s limit. */
    public static final int MAX_INLINE_BODY = 128_000;

    public static final Duration DEFAULT_TTL = Duration.ofHours(6);
    public static final Duration DEFAULT_INVOCATION_TIMEOUT = Duration.ofMinutes(15);

    private static final Pattern ASCII = Pattern.compile("\\p{ASCII}*");
    private static final Pattern INFERENCE_ID_PATTERN = Pattern.compile("\\A\\S[\\p{Print}]*\\z");
    private static final Pattern INPUT_LOCATION_PATTERN = Pattern.compile("^(https|s3)://([^/]+)/?(.*)$|^file:.+$");
    private static final Pattern EXTENSION_PATTERN = Pattern.compile("^(?!s3:|https:)[a-zA-Z0-9!_.*'()/-]+$");
    private static final Pattern FILENAME_PATTERN = Pattern.compile("^(?!.*\\..*\\.)[a-zA-Z0-9][a-zA-Z0-9-_.]*$");

    private AsyncRequestReader() {}

    /**
     * Reads one request.
     *
     * @param headers the request's headers by name (case-insensitive), null for a missing one
     * @param body the HTTP body; empty when the client named an input location
     * @throws ValidationException listing every invalid member
     */
    public static AsyncRequest read(
            String endpoint,
            UnaryOperator<@Nullable String> headers,
            Payload body,
            AsyncSettings settings,
            Instant now) {
        List<String> problems = new ArrayList<>();
        String inputLocation =
                text(headers, INPUT_LOCATION, "inputLocation", 1, 1024, INPUT_LOCATION_PATTERN, problems);
        String contentType = text(headers, CONTENT_TYPE, "contentType", 0, 1024, ASCII, problems);
        String accept = text(headers, ACCEPT, "accept", 0, 1024, ASCII, problems);
        String customAttributes = text(headers, CUSTOM_ATTRIBUTES, "customAttributes", 0, 1024, ASCII, problems);
        String inferenceId = text(headers, INFERENCE_ID, "inferenceId", 1, 64, INFERENCE_ID_PATTERN, problems);
        String extension =
                text(headers, OUTPUT_PATH_EXTENSION, "s3OutputPathExtension", 1, 512, EXTENSION_PATTERN, problems);
        String filename = text(headers, FILENAME, "filename", 1, 32, FILENAME_PATTERN, problems);
        Duration ttl = seconds(headers, TTL, "requestTTLSeconds", 60, 21_600, DEFAULT_TTL, problems);
        Duration timeout = seconds(
                headers, INVOCATION_TIMEOUT, "invocationTimeoutSeconds", 1, 3600, DEFAULT_INVOCATION_TIMEOUT, problems);
        if (extension != null
                && List.of(extension.split("/")).stream().anyMatch(p -> p.equals(".") || p.equals(".."))) {
            problems.add("Value '" + extension + "' at 's3OutputPathExtension' failed to satisfy constraint: Member"
                    + " must not contain the path segments '.' or '..'");
        }
        if (body.size() > MAX_INLINE_BODY) {
            problems.add("Value at 'body' failed to satisfy constraint: Member must have length less than or equal"
                    + " to " + MAX_INLINE_BODY + " (it has " + body.size() + " bytes; larger payloads go through"
                    + " " + INPUT_LOCATION + ")");
        }
        if (!problems.isEmpty()) {
            String count = problems.size() == 1 ? "1 validation error" : problems.size() + " validation errors";
            throw new ValidationException(count + " detected: " + String.join("; ", problems));
        }
        if (inputLocation != null && !body.isEmpty()) {
            throw new ValidationException(
                    "Body and InputLocation are mutually exclusive. Provide exactly one of them.");
        }
        if (inputLocation == null && body.isEmpty()) {
            throw new ValidationException("Provide exactly one of Body and InputLocation: the request has neither"
                    + " a body nor an " + INPUT_LOCATION + " header.");
        }
        Location input = inputLocation == null ? null : Location.parse(inputLocation, "InputLocation");
        String id = UUID.randomUUID().toString();
        return new AsyncRequest(
                id,
                endpoint,
                inferenceId != null ? inferenceId : UUID.randomUUID().toString(),
                input,
                input == null ? body : null,
                contentType,
                accept,
                customAttributes,
                ttl,
                timeout,
                settings.outputLocation(id, extension, filename),
                settings.failureLocation(id, extension, filename),
                now);
    }

    private static @Nullable String text(
            UnaryOperator<@Nullable String> headers,
            String header,
            String member,
            int min,
            int max,
            Pattern pattern,
            List<String> problems) {
        String value = headers.apply(header);
        if (value == null) {
            return null;
        }
        if (value.length() < min || value.length() > max) {
            problems.add("Value '" + value + "' at '" + member + "' failed to satisfy constraint: Member must have"
                    + " length between " + min + " and " + max);
        } else if (!pattern.matcher(value).matches()) {
            problems.add("Value '" + value + "' at '" + member + "' failed to satisfy constraint: Member must satisfy"
                    + " regular expression pattern: " + pattern.pattern());
        }
        return value;
    }

    private static Duration seconds(
            UnaryOperator<@Nullable String> headers,
            String header,
            String member,
            int min,
            int max,
            Duration fallback,
            List<String> problems) {
        String value = headers.apply(header);
        if (value == null) {
            return fallback;
        }
        try {
            int number = Integer.parseInt(value.trim());
            if (number < min || number > max) {
                problems.add("Value '" + value + "' at '" + member + "' failed to satisfy constraint: Member must"
                        + " have value between " + min + " and " + max);
                return fallback;
            }
            return Duration.ofSeconds(number);
        } catch (NumberFormatException e) {
            problems.add("Value '" + value + "' at '" + member + "' failed to satisfy constraint: Member must be an"
                    + " integer");
            return fallback;
        }
    }
}
