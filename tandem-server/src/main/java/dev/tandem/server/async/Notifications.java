package dev.tandem.server.async;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.core.stage.Payload;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The notifications SageMaker sends for asynchronous invocations, in its own JSON: {@code
 * InferenceResult} with {@code invocationStatus} Completed or Failed, and the {@code
 * TestNotification} sent when an endpoint is created or updated. Delivery is off the request's
 * path and retried with backoff; a message still not taken after the last attempt is logged and
 * counted — the result object was written before, so nothing is lost with it.
 */
public final class Notifications {
    private static final Logger LOG = LoggerFactory.getLogger(Notifications.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Responses larger than this are not included in a notification (SageMaker's 128 KB). */
    static final int MAX_INCLUDED_RESPONSE = 128 * 1024;

    private final TopicPublisher publisher;
    private final ScheduledExecutorService scheduler;
    private final Executor deliveries;
    private final Clock clock;
    private final String region;
    private final int attempts;
    private final Duration firstRetry;
    private final Consumer<String> failed;

    /**
     * @param scheduler waits between attempts
     * @param deliveries runs each attempt (it blocks on the subscriber)
     * @param attempts how many times a message is tried
     * @param firstRetry the wait before the second attempt; each further wait doubles
     * @param failed called with the endpoint's name for each message given up on
     */
    public Notifications(
            TopicPublisher publisher,
            ScheduledExecutorService scheduler,
            Executor deliveries,
            Clock clock,
            String region,
            int attempts,
            Duration firstRetry,
            Consumer<String> failed) {
        this.publisher = publisher;
        this.scheduler = scheduler;
        this.deliveries = deliveries;
        this.clock = clock;
        this.region = region;
        this.attempts = attempts;
        this.firstRetry = firstRetry;
        this.failed = failed;
    }

    /** Tells the success topic that {@code request} completed with an answer of {@code contentType}. */
    public void completed(AsyncRequest request, AsyncSettings settings, @Nullable String contentType, Payload answer) {
        if (settings.successTopic() == null) {
            return;
        }
        ObjectNode message = result(request, "Completed");
        ObjectNode response = message.putObject("responseParameters");
        if (contentType != null) {
            response.put("contentType", contentType);
        }
        response.put("outputLocation", request.outputLocation().toString());
        if (settings.responseInSuccess() && answer.size() <= MAX_INCLUDED_RESPONSE) {
            response.put("inferenceResponse", answer.asUtf8());
        }
        deliver(request.endpoint(), settings.successTopic(), message);
    }

    /** Tells the error topic that {@code request} failed, and why. */
    public void failed(AsyncRequest request, AsyncSettings settings, String reason, @Nullable Payload errorAnswer) {
        if (settings.errorTopic() == null) {
            return;
        }
        ObjectNode message = result(request, "Failed");
        message.put("failureReason", reason);
        message.put("failureLocation", request.failureLocation().toString());
        if (settings.responseInError() && errorAnswer != null && errorAnswer.size() <= MAX_INCLUDED_RESPONSE) {
            message.putObject("responseParameters").put("inferenceResponse", errorAnswer.asUtf8());
        }
        deliver(request.endpoint(), settings.errorTopic(), message);
    }

    /** The test notification SageMaker sends to each configured topic on create and update. */
    public void test(String endpoint, AsyncSettings settings) {
        ObjectNode message = JSON.createObjectNode();
        message.put("eventVersion", "1.0");
        message.put("eventSource", "aws:sagemaker");
        message.put("eventName", "TestNotification");
        if (settings.successTopic() != null) {
            deliver(endpoint, settings.successTopic(), message);
        }
        if (settings.errorTopic() != null && !settings.errorTopic().equals(settings.successTopic())) {
            deliver(endpoint, settings.errorTopic(), message);
        }
    }

    private ObjectNode result(AsyncRequest request, String status) {
        ObjectNode message = JSON.createObjectNode();
        message.put("awsRegion", region);
        message.put("eventTime", millis(clock.instant()));
        message.put("receivedTime", millis(request.receivedAt()));
        message.put("invocationStatus", status);
        ObjectNode parameters = message.putObject("requestParameters");
        if (request.contentType() != null) {
            parameters.put("contentType", request.contentType());
        }
        if (request.accept() != null) {
            parameters.put("accept", request.accept());
        }
        parameters.put("endpointName", request.endpoint());
        if (request.input() != null) {
            parameters.put("inputLocation", request.input().toString());
        }
        message.put("inferenceId", request.inferenceId());
        message.put("eventVersion", "1.0");
        message.put("eventSource", "aws:sagemaker");
        message.put("eventName", "InferenceResult");
        return message;
    }

    /** SageMaker's timestamps: ISO-8601 in UTC with milliseconds. */
    private static String millis(Instant instant) {
        return instant.truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString();
    }

    private void deliver(String endpoint, String topic, ObjectNode message) {
        String text = message.toString();
        deliveries.execute(() -> attempt(endpoint, topic, text, 1));
    }

    @SuppressWarnings("FutureReturnValueIgnored") // a retry reports its own failure
    private void attempt(String endpoint, String topic, String message, int attempt) {
        try {
            publisher.publish(topic, message);
        } catch (TopicPublisher.DeliveryException e) {
            if (attempt >= attempts) {
                LOG.warn(
                        "Endpoint {}: notification to {} not delivered after {} attempts: {}",
                        endpoint,
                        topic,
                        attempts,
                        e.getMessage());
                failed.accept(endpoint);
                return;
            }
            long delay = firstRetry.toMillis() << (attempt - 1);
            scheduler.schedule(
                    () -> deliveries.execute(() -> attempt(endpoint, topic, message, attempt + 1)),
                    delay,
                    TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) {
            LOG.warn("Endpoint {}: notification to {} failed", endpoint, topic, e);
            failed.accept(endpoint);
        }
    }
}
