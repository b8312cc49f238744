package dev.tandem.server.async;

import org.jspecify.annotations.Nullable;

/**
 * Sends each topic's messages where they can go: to the HTTP subscribers configured for that topic
 * ({@code --subscribe ARN=URL}), else to SNS when an SNS endpoint is configured; a topic with
 * neither cannot be delivered to, and says so.
 */
public final class TopicRouter implements TopicPublisher {
    private final HttpSubscribers subscribers;
    private final @Nullable TopicPublisher sns;

    public TopicRouter(HttpSubscribers subscribers, @Nullable TopicPublisher sns) {
        this.subscribers = subscribers;
        this.sns = sns;
    }

    @Override
    public void publish(String topicArn, String message) {
        if (subscribers.hasTopic(topicArn)) {
            subscribers.publish(topicArn, message);
        } else if (sns != null) {
            sns.publish(topicArn, message);
        } else {
            throw new DeliveryException("topic " + topicArn + " has no HTTP subscriber (serve --subscribe " + topicArn
                    + "=URL) and no SNS service is configured (AWS_ENDPOINT_URL_SNS)");
        }
    }
}
