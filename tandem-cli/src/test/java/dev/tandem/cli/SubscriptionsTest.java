package dev.tandem.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

class SubscriptionsTest {
    private static final String TOPIC = "arn:aws:sns:us-east-1:000000000000:results";

    @Test
    void topicsCollectTheirSubscribersInOrder() {
        assertThat(Subscriptions.parse(List.of(TOPIC + "=http://127.0.0.1:9000/a", TOPIC + "=https://hooks/b")))
                .containsEntry(TOPIC, List.of(URI.create("http://127.0.0.1:9000/a"), URI.create("https://hooks/b")));
    }

    @Test
    void aBadOptionIsRefusedNamingIt() {
        assertThatThrownBy(() -> Subscriptions.parse(List.of("results=http://x")))
                .hasMessageStartingWith("--subscribe results=http://x: expected TOPIC_ARN=URL");
        assertThatThrownBy(() -> Subscriptions.parse(List.of(TOPIC + "=ftp://x")))
                .hasMessageContaining("must be http:// or https://");
    }
}
