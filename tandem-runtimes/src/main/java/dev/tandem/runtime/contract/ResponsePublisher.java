package dev.tandem.runtime.contract;

import dev.tandem.core.engine.StageTimeoutException;
import dev.tandem.core.stage.Payload;
import io.vertx.core.http.HttpClientResponse;
import java.time.Duration;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A container's answer read as a stream: each chunk Netty reads becomes a part, read only as fast
 * as the subscriber asks (Vert.x's {@code fetch}), so a slow client leaves the rest in the
 * container's socket. Cancelling resets the request, which closes the connection: the container
 * sees its client gone and stops.
 */
final class ResponsePublisher implements Flow.Publisher<Payload> {
    private final HttpClientResponse answer;
    private final Duration timeout;
    private final AtomicBoolean subscribed = new AtomicBoolean();

    /** @param answer paused: nothing is read before the subscriber asks */
    ResponsePublisher(HttpClientResponse answer, Duration timeout) {
        this.answer = answer;
        this.timeout = timeout;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super Payload> subscriber) {
        if (!subscribed.compareAndSet(false, true)) {
            throw new IllegalStateException("a container's answer has one reader");
        }
        AtomicBoolean over = new AtomicBoolean();
        answer.handler(chunk -> {
            if (!over.get()) {
                subscriber.onNext(Payload.wrap(BufferBytes.of(chunk)));
            }
        });
        answer.endHandler(end -> {
            if (over.compareAndSet(false, true)) {
                subscriber.onComplete();
            }
        });
        answer.exceptionHandler(error -> {
            if (over.compareAndSet(false, true)) {
                subscriber.onError(isTimeout(error) ? new StageTimeoutException(timeout) : error);
            }
        });
        subscriber.onSubscribe(new Flow.Subscription() {
            @Override
            public void request(long n) {
                if (n == Long.MAX_VALUE) {
                    answer.resume();
                } else if (n > 0) {
                    answer.fetch(n);
                }
            }

            @Override
            public void cancel() {
                if (over.compareAndSet(false, true)) {
                    answer.handler(null);
                    answer.request().reset();
                }
            }
        });
    }

    /** Vert.x reports an idle timeout with its own exception types; all carry "Timeout" in their name. */
    static boolean isTimeout(Throwable cause) {
        return cause instanceof TimeoutException
                || cause.getClass().getSimpleName().contains("Timeout");
    }
}
