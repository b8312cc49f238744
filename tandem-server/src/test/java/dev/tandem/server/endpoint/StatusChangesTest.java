package dev.tandem.server.endpoint;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class StatusChangesTest {
    private final StatusChanges changes = new StatusChanges();

    @Test
    void aChangeBeforeTheWaitIsNotMissed() throws Exception {
        long seen = changes.generation();
        changes.signal();

        assertThat(changes.awaitAfter(seen, Duration.ZERO)).isTrue();
    }

    @Test
    void aWaiterWakesWhenAnotherThreadSignals() throws Exception {
        long seen = changes.generation();
        CompletableFuture<Boolean> woken = CompletableFuture.supplyAsync(() -> {
            try {
                return changes.awaitAfter(seen, Duration.ofMinutes(1));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });

        changes.signal();

        assertThat(woken.get(30, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void withoutAChangeTheWaitEndsAtItsTimeout() throws Exception {
        assertThat(changes.awaitAfter(changes.generation(), Duration.ofMillis(1)))
                .isFalse();
    }
}
