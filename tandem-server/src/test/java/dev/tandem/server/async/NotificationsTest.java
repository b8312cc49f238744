package dev.tandem.server.async;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.core.stage.Payload;
import dev.tandem.runtime.storage.Location;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class NotificationsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-12-05T10:00:01.500Z");
    private static final AsyncSettings SETTINGS = new AsyncSettings(
            1,
            Location.parse("s3://b/out", "o"),
            Location.parse("s3://b/failed", "f"),
            "arn:aws:sns:us-east-1:000000000000:ok",
            "arn:aws:sns:us-east-1:000000000000:bad",
            true,
            false);
    private static final AsyncRequest REQUEST = new AsyncRequest(
            "id-1",
            "ep",
            "inference-1",
            Location.parse("s3://b/in.csv", "i"),
            null,
            "text/csv",
            "application/json",
            null,
            Duration.ofHours(6),
            Duration.ofMinutes(15),
            Location.parse("s3://b/out/id-1.out", "o"),
            Location.parse("s3://b/failed/id-1-error.out", "f"),
            Instant.parse("2026-12-05T10:00:00Z"));

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final List<String[]> published = new CopyOnWriteArrayList<>();
    private final AtomicInteger gaveUp = new AtomicInteger();

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    private Notifications notifications(TopicPublisher publisher) {
        return new Notifications(
                publisher,
                scheduler,
                Runnable::run,
                Clock.fixed(NOW, ZoneOffset.UTC),
                "us-east-1",
                3,
                Duration.ofMillis(10),
                endpoint -> gaveUp.incrementAndGet());
    }

    private JsonNode only(String topic) throws Exception {
        assertThat(published).hasSize(1);
        assertThat(published.get(0)[0]).isEqualTo(topic);
        return JSON.readTree(published.get(0)[1]);
    }

    @Test
    void successIsSageMakersInferenceResultWithTheResponseWhenAsked() throws Exception {
        notifications((topic, message) -> published.add(new String[] {topic, message}))
                .completed(REQUEST, SETTINGS, "application/json", Payload.utf8("{\"p\":1}"));

        JsonNode message = only("arn:aws:sns:us-east-1:000000000000:ok");
        assertThat(message.toString())
                .isEqualTo("{\"awsRegion\":\"us-east-1\",\"eventTime\":\"2026-12-05T10:00:01.500Z\","
                        + "\"receivedTime\":\"2026-12-05T10:00:00Z\",\"invocationStatus\":\"Completed\","
                        + "\"requestParameters\":{\"contentType\":\"text/csv\",\"accept\":\"application/json\","
                        + "\"endpointName\":\"ep\",\"inputLocation\":\"s3://b/in.csv\"},\"inferenceId\":\"inference-1\","
                        + "\"eventVersion\":\"1.0\",\"eventSource\":\"aws:sagemaker\",\"eventName\":\"InferenceResult\","
                        + "\"responseParameters\":{\"contentType\":\"application/json\",\"outputLocation\":\"s3://b/out/id-1.out\","
                        + "\"inferenceResponse\":\"{\\\"p\\\":1}\"}}");
    }

    @Test
    void failureNamesTheReasonAndTheFailureObject() throws Exception {
        notifications((topic, message) -> published.add(new String[] {topic, message}))
                .failed(REQUEST, SETTINGS, "ClientError: boom", Payload.utf8("container said no"));

        JsonNode message = only("arn:aws:sns:us-east-1:000000000000:bad");
        assertThat(message.path("invocationStatus").asText()).isEqualTo("Failed");
        assertThat(message.path("failureReason").asText()).isEqualTo("ClientError: boom");
        assertThat(message.path("failureLocation").asText()).isEqualTo("s3://b/failed/id-1-error.out");
        assertThat(message.has("responseParameters"))
                .as("not asked for in error notifications")
                .isFalse();
    }

    @Test
    void aRefusedDeliveryIsRetriedThenCountedWhenItNeverGoesThrough() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        notifications((topic, message) -> {
                    if (attempts.incrementAndGet() < 3) {
                        throw new TopicPublisher.DeliveryException("503");
                    }
                    published.add(new String[] {topic, message});
                })
                .test("ep", SETTINGS);
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (published.size() < 1 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(published).isNotEmpty();
        assertThat(JSON.readTree(published.get(0)[1]).toString())
                .isEqualTo(
                        "{\"eventVersion\":\"1.0\",\"eventSource\":\"aws:sagemaker\",\"eventName\":\"TestNotification\"}");

        notifications((topic, message) -> {
                    throw new TopicPublisher.DeliveryException("down");
                })
                .completed(REQUEST, SETTINGS, null, Payload.empty());
        while (gaveUp.get() < 1 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(gaveUp.get()).isEqualTo(1);
    }
}
