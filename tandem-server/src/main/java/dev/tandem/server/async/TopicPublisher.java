package dev.tandem.server.async;

/** Delivers one message to the subscribers of an SNS topic. */
@FunctionalInterface
public interface TopicPublisher {

    /**
     * Publishes {@code message} to {@code topicArn}; returns once a subscriber or the topic
     * service has taken it.
     *
     * @throws DeliveryException when it was not taken; the caller retries
     */
    void publish(String topicArn, String message);

    /** A message not taken; the message says by whom and why. */
    final class DeliveryException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public DeliveryException(String message) {
            super(message);
        }

        public DeliveryException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
