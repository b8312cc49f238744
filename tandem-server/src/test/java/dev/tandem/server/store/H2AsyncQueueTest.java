package dev.tandem.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.core.stage.Payload;
import dev.tandem.runtime.storage.Location;
import dev.tandem.server.async.AsyncQueue;
import dev.tandem.server.async.AsyncRequest;
import dev.tandem.server.async.AsyncStatus;
import dev.tandem.server.async.QueuedRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class H2AsyncQueueTest {
    private static final Instant T0 = Instant.parse("2026-12-05T10:00:00.000Z");

    @TempDir
    Path dataDir;

    private static AsyncRequest request(String id, String endpoint, Instant at, Duration ttl) {
        return new AsyncRequest(
                id,
                endpoint,
                "inference-" + id,
                id.startsWith("inline") ? null : Location.parse("s3://in/" + id, "InputLocation"),
                id.startsWith("inline") ? Payload.utf8("body of " + id) : null,
                "text/csv",
                null,
                "a=1",
                ttl,
                Duration.ofSeconds(900),
                Location.parse("s3://out/" + id + ".out", "OutputLocation"),
                Location.parse("file:/failures/" + id + "-error.out", "FailureLocation"),
                at);
    }

    @Test
    void claimsOldestFirstPerEndpointAndARequeuedRequestKeepsItsPlace() {
        try (H2StateStore store = H2StateStore.open(dataDir);
                AsyncQueue queue = store.asyncQueue()) {
            queue.enqueue(request("a", "e1", T0, Duration.ofHours(6)));
            queue.enqueue(request("inline-b", "e1", T0.plusSeconds(1), Duration.ofHours(6)));
            queue.enqueue(request("c", "e2", T0.plusSeconds(2), Duration.ofHours(6)));

            QueuedRequest first = queue.claim("e1", 1, T0.plusSeconds(5)).get(0);
            assertThat(first.id()).isEqualTo("a");
            assertThat(first.attempts()).isEqualTo(1);
            assertThat(first.status()).isEqualTo(AsyncStatus.IN_PROGRESS);
            assertThat(queue.backlog("e1")).isEqualTo(new AsyncQueue.Backlog(1, 1, T0));

            queue.requeue("a");
            QueuedRequest again = queue.claim("e1", 1, T0.plusSeconds(6)).get(0);
            assertThat(again.id()).isEqualTo("a");
            assertThat(again.attempts()).isEqualTo(2);
            assertThat(again.request()).isEqualTo(request("a", "e1", T0, Duration.ofHours(6)));

            QueuedRequest inline = queue.claim("e1", 1, T0.plusSeconds(7)).get(0);
            assertThat(inline.request().inlineBody()).isEqualTo(Payload.utf8("body of inline-b"));
            assertThat(queue.claim("e1", 1, T0.plusSeconds(8))).isEmpty();
            assertThat(queue.backlog("e2").size()).isEqualTo(1);
        }
    }

    @Test
    void aBatchIsClaimedOldestFirstInOneGo() {
        try (H2StateStore store = H2StateStore.open(dataDir);
                AsyncQueue queue = store.asyncQueue()) {
            for (String id : new String[] {"a", "b", "c"}) {
                queue.enqueue(request(id, "e1", T0, Duration.ofHours(6)));
            }

            assertThat(queue.claim("e1", 2, T0)).extracting(QueuedRequest::id).containsExactly("a", "b");
            assertThat(queue.inProgress()).extracting(QueuedRequest::id).containsExactly("a", "b");
            assertThat(queue.claim("e1", 5, T0)).extracting(QueuedRequest::id).containsExactly("c");
        }
    }

    @Test
    void finishedRequestsAreFoundByInferenceIdAndPurgedLater() {
        try (H2StateStore store = H2StateStore.open(dataDir);
                AsyncQueue queue = store.asyncQueue()) {
            queue.enqueue(request("a", "e1", T0, Duration.ofHours(6)));
            queue.claim("e1", 1, T0.plusSeconds(1));
            queue.finish("a", AsyncStatus.FAILED, T0.plusSeconds(2), "ClientError: boom");

            QueuedRequest found = queue.find("e1", "inference-a").orElseThrow();
            assertThat(found.status()).isEqualTo(AsyncStatus.FAILED);
            assertThat(found.failureReason()).isEqualTo("ClientError: boom");
            assertThat(found.endedAt()).isEqualTo(T0.plusSeconds(2));
            assertThat(queue.backlog("e1")).isEqualTo(AsyncQueue.Backlog.EMPTY);

            assertThat(queue.purgeFinished(T0.plusSeconds(2))).isZero();
            assertThat(queue.purgeFinished(T0.plusSeconds(3))).isEqualTo(1);
            assertThat(queue.find("e1", "inference-a")).isEmpty();
        }
    }

    @Test
    void onlyQueuedRequestsPastTheirTtlExpire() {
        try (H2StateStore store = H2StateStore.open(dataDir);
                AsyncQueue queue = store.asyncQueue()) {
            queue.enqueue(request("short", "e1", T0, Duration.ofSeconds(60)));
            queue.enqueue(request("long", "e1", T0, Duration.ofSeconds(600)));
            queue.enqueue(request("running", "e2", T0, Duration.ofSeconds(60)));
            queue.claim("e2", 1, T0);

            assertThat(queue.expired("e1", T0.plusSeconds(59))).isEmpty();
            assertThat(queue.expired("e1", T0.plusSeconds(60)))
                    .extracting(QueuedRequest::id)
                    .containsExactly("short");
            assertThat(queue.expired("e2", T0.plusSeconds(3600))).isEmpty();
        }
    }

    @Test
    void whatWasInProgressWhenTheServerStoppedIsFoundOnReopen() {
        try (H2StateStore store = H2StateStore.open(dataDir);
                AsyncQueue queue = store.asyncQueue()) {
            queue.enqueue(request("a", "e1", T0, Duration.ofHours(6)));
            queue.enqueue(request("b", "e1", T0, Duration.ofHours(6)));
            queue.claim("e1", 1, T0);
        }
        try (H2StateStore store = H2StateStore.open(dataDir);
                AsyncQueue queue = store.asyncQueue()) {
            assertThat(queue.inProgress()).extracting(QueuedRequest::id).containsExactly("a");
            assertThat(queue.queued("e1")).extracting(QueuedRequest::id).containsExactly("b");
        }
    }
}
