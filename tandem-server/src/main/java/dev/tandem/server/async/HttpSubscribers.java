package dev.tandem.server.async;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * SNS topics for a self-hosted server without SNS: each topic ARN maps to HTTP(S) subscribers,
 * which receive SNS's own HTTP notification envelope (headers {@code x-amz-sns-message-type} and
 * friends, a JSON body with {@code Type}, {@code MessageId}, {@code TopicArn}, {@code Message}, …),
 * so a handler written for SNS's HTTP deliveries works unchanged. The envelope is not signed:
 * {@code Signature} and {@code SigningCertURL} are empty, as there is no AWS certificate to sign
 * with.
 */
public final class HttpSubscribers implements TopicPublisher {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    private final Map<String, List<URI>> subscribers;
    private final Clock clock;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** @param subscribers the subscribers' URLs by topic ARN */
    public HttpSubscribers(Map<String, List<URI>> subscribers, Clock clock) {
        this.subscribers = Map.copyOf(subscribers);
        this.clock = clock;
    }

    public boolean hasTopic(String topicArn) {
        return subscribers.containsKey(topicArn);
    }

    @Override
    public void publish(String topicArn, String message) {
        List<URI> urls = subscribers.getOrDefault(topicArn, List.of());
        if (urls.isEmpty()) {
            throw new DeliveryException("topic " + topicArn + " has no subscriber");
        }
        String messageId = UUID.randomUUID().toString();
        for (URI url : urls) {
            deliver(url, topicArn, messageId, message);
        }
    }

    private void deliver(URI url, String topicArn, String messageId, String message) {
        ObjectNode envelope = JSON.createObjectNode();
        envelope.put("Type", "Notification");
        envelope.put("MessageId", messageId);
        envelope.put("TopicArn", topicArn);
        envelope.put("Message", message);
        envelope.put("Timestamp", clock.instant().toString());
        envelope.put("SignatureVersion", "1");
        envelope.put("Signature", "");
        envelope.put("SigningCertURL", "");
        envelope.put("UnsubscribeURL", "");
        String subscription = topicArn + ":"
                + UUID.nameUUIDFromBytes(url.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        HttpRequest request = HttpRequest.newBuilder(url)
                .timeout(TIMEOUT)
                .header("Content-Type", "text/plain; charset=UTF-8")
                .header("x-amz-sns-message-type", "Notification")
                .header("x-amz-sns-message-id", messageId)
                .header("x-amz-sns-topic-arn", topicArn)
                .header("x-amz-sns-subscription-arn", subscription)
                .POST(HttpRequest.BodyPublishers.ofString(envelope.toString()))
                .build();
        try {
            HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
            if (response.statusCode() < 200 || response.statusCode() > 299) {
                throw new DeliveryException(
                        "subscriber " + url + " of " + topicArn + " answered " + response.statusCode());
            }
        } catch (IOException e) {
            throw new DeliveryException("subscriber " + url + " of " + topicArn + " unreachable: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DeliveryException("interrupted while delivering to " + url, e);
        }
    }
}
