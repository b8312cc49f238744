package dev.tandem.server.async;

import java.net.URI;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sns.SnsClientBuilder;

/**
 * Publishes to Amazon SNS, or any SNS-compatible service, through the AWS SDK: the standard
 * variables configure it ({@code AWS_ENDPOINT_URL_SNS} or {@code AWS_ENDPOINT_URL}, {@code
 * AWS_REGION}, credentials from the SDK's default chain). The client is built on first use.
 */
public final class SnsPublisher implements TopicPublisher, AutoCloseable {
    private final @Nullable URI endpoint;
    private final String region;
    private @Nullable SnsClient client;

    public SnsPublisher(@Nullable URI endpoint, String region) {
        this.endpoint = endpoint;
        this.region = region;
    }

    /** From the standard AWS variables; null when none names an SNS endpoint. */
    public static @Nullable SnsPublisher fromEnvironment(Map<String, String> environment) {
        String endpoint = environment.getOrDefault("AWS_ENDPOINT_URL_SNS", environment.get("AWS_ENDPOINT_URL"));
        if (endpoint == null) {
            return null;
        }
        String region =
                environment.getOrDefault("AWS_REGION", environment.getOrDefault("AWS_DEFAULT_REGION", "us-east-1"));
        return new SnsPublisher(URI.create(endpoint), region);
    }

    @Override
    public void publish(String topicArn, String message) {
        try {
            client().publish(r -> r.topicArn(topicArn).message(message));
        } catch (SdkException e) {
            throw new TopicPublisher.DeliveryException(
                    "SNS refused the message for " + topicArn + ": " + e.getMessage(), e);
        }
    }

    private synchronized SnsClient client() {
        if (client == null) {
            SnsClientBuilder builder = SnsClient.builder()
                    .httpClient(UrlConnectionHttpClient.create())
                    .region(Region.of(region));
            if (endpoint != null) {
                builder.endpointOverride(endpoint);
            }
            client = builder.build();
        }
        return client;
    }

    @Override
    public synchronized void close() {
        if (client != null) {
            client.close();
        }
    }
}
