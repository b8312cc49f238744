package dev.tandem.server.async;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.core.error.ValidationException;
import dev.tandem.core.stage.Payload;
import dev.tandem.runtime.storage.Location;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class AsyncRequestReaderTest {
    private static final Instant NOW = Instant.parse("2026-12-05T10:00:00Z");
    private static final AsyncSettings SETTINGS = new AsyncSettings(
            4,
            Location.parse("s3://bucket/out", "out"),
            Location.parse("s3://bucket/failed/", "failed"),
            null,
            null,
            false,
            false);

    private static AsyncRequest read(Map<String, String> headers, String body) {
        Map<String, String> caseless = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        caseless.putAll(headers);
        return AsyncRequestReader.read("ep", caseless::get, Payload.utf8(body), SETTINGS, NOW);
    }

    @Test
    void defaultsAreSageMakersAndTheObjectsAreNamedAfterTheRequestNotTheInferenceId() {
        AsyncRequest request = read(
                Map.of("X-Amzn-SageMaker-InputLocation", "s3://in/x.csv", "X-Amzn-SageMaker-Inference-Id", "mine"), "");

        assertThat(request.ttl()).isEqualTo(Duration.ofHours(6));
        assertThat(request.invocationTimeout()).isEqualTo(Duration.ofMinutes(15));
        assertThat(request.inferenceId()).isEqualTo("mine");
        assertThat(request.input()).isEqualTo(Location.parse("s3://in/x.csv", "in"));
        assertThat(request.outputLocation()).hasToString("s3://bucket/out/" + request.id() + ".out");
        assertThat(request.failureLocation()).hasToString("s3://bucket/failed/" + request.id() + "-error.out");
        assertThat(request.id()).isNotEqualTo("mine");
        assertThat(request.expiresAt()).isEqualTo(NOW.plus(Duration.ofHours(6)));
    }

    @Test
    void anExtensionAndAFilenameShapeTheLocations() {
        AsyncRequest request = read(
                Map.of(
                        "X-Amzn-SageMaker-S3OutputPathExtension", "run/7",
                        "X-Amzn-SageMaker-Filename", "result.json",
                        "X-Amzn-SageMaker-RequestTTLSeconds", "60",
                        "X-Amzn-SageMaker-InvocationTimeoutSeconds", "3600"),
                "inline");

        assertThat(request.outputLocation()).hasToString("s3://bucket/out/run/7/result.json");
        assertThat(request.failureLocation()).hasToString("s3://bucket/failed/run/7/result-error.out");
        assertThat(request.inlineBody()).isEqualTo(Payload.utf8("inline"));
        assertThat(request.ttl()).isEqualTo(Duration.ofSeconds(60));
        assertThat(request.invocationTimeout()).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void everyInvalidMemberIsNamedAtOnce() {
        assertThatThrownBy(() -> read(
                        Map.of(
                                "X-Amzn-SageMaker-RequestTTLSeconds", "21601",
                                "X-Amzn-SageMaker-InvocationTimeoutSeconds", "soon",
                                "X-Amzn-SageMaker-Inference-Id", " leading-space",
                                "X-Amzn-SageMaker-Filename", "a.b.c"),
                        "x"))
                .isInstanceOf(ValidationException.class)
                .hasMessageStartingWith("4 validation errors detected: ")
                .hasMessageContaining(
                        "'requestTTLSeconds' failed to satisfy constraint: Member must have value between 60 and 21600")
                .hasMessageContaining(
                        "'invocationTimeoutSeconds' failed to satisfy constraint: Member must be an integer")
                .hasMessageContaining("at 'inferenceId'")
                .hasMessageContaining("at 'filename'");
    }

    @Test
    void theBodyAndTheInputLocationExcludeEachOtherAndOneIsNeeded() {
        assertThatThrownBy(() -> read(Map.of("X-Amzn-SageMaker-InputLocation", "s3://in/x"), "body"))
                .hasMessage("Body and InputLocation are mutually exclusive. Provide exactly one of them.");
        assertThatThrownBy(() -> read(Map.of(), "")).hasMessageContaining("neither a body nor");
        assertThatThrownBy(() -> read(Map.of(), "x".repeat(128_001))).hasMessageContaining("128000");
        assertThatThrownBy(() -> read(Map.of("X-Amzn-SageMaker-InputLocation", "ftp://in/x"), ""))
                .hasMessageContaining("at 'inputLocation'");
        assertThatThrownBy(() -> read(Map.of("X-Amzn-SageMaker-S3OutputPathExtension", "a/../../b"), "x"))
                .hasMessageContaining("must not contain the path segments");
    }
}
