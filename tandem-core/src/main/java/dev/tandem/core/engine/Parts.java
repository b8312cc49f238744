package dev.tandem.core.engine;

import dev.tandem.core.stage.Payload;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/** Small building blocks for streams of parts ({@link Flow.Publisher} of {@link Payload}). */
public final class Parts {
    private Parts() {}

    /** A stream of one part — none when {@code whole} is empty. */
    public static Flow.Publisher<Payload> of(Payload whole) {
        return subscriber -> subscriber.onSubscribe(new Flow.Subscription() {
            private final AtomicBoolean done = new AtomicBoolean();

            @Override
            public void request(long n) {
                if (n <= 0) {
                    if (done.compareAndSet(false, true)) {
                        subscriber.onError(new IllegalArgumentException("requested " + n + " parts"));
                    }
                    return;
                }
                // Set before onNext, so that a request made from inside onNext finds it done.
                if (done.compareAndSet(false, true)) {
                    if (!whole.isEmpty()) {
                        subscriber.onNext(whole);
                    }
                    subscriber.onComplete();
                }
            }

            @Override
            public void cancel() {
                done.set(true);
            }
        });
    }

    /** {@code parts} with its failures wrapped in a {@link StreamInterruptedException} naming {@code hostname}. */
    static Flow.Publisher<Payload> named(String hostname, Flow.Publisher<Payload> parts) {
        return subscriber -> parts.subscribe(new Forwarding(subscriber) {
            @Override
            public void onError(Throwable error) {
                Throwable cause = Failures.unwrap(error);
                super.onError(
                        cause instanceof StreamInterruptedException
                                ? cause
                                : new StreamInterruptedException(hostname, cause));
            }
        });
    }

    /**
     * {@code parts}, calling {@code ended} once when the stream ends: with null when it completes or
     * its reader cancels it, with the failure when it fails.
     */
    public static Flow.Publisher<Payload> onEnd(Flow.Publisher<Payload> parts, Consumer<@Nullable Throwable> ended) {
        AtomicBoolean once = new AtomicBoolean();
        Consumer<@Nullable Throwable> end = error -> {
            if (once.compareAndSet(false, true)) {
                ended.accept(error);
            }
        };
        return subscriber -> parts.subscribe(new Forwarding(subscriber) {
            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                super.onSubscribe(new Flow.Subscription() {
                    @Override
                    public void request(long n) {
                        subscription.request(n);
                    }

                    @Override
                    public void cancel() {
                        end.accept(null);
                        subscription.cancel();
                    }
                });
            }

            @Override
            public void onError(Throwable error) {
                end.accept(error);
                super.onError(error);
            }

            @Override
            public void onComplete() {
                end.accept(null);
                super.onComplete();
            }
        });
    }

    /** A subscriber that passes every signal on to another. */
    private static class Forwarding implements Flow.Subscriber<Payload> {
        private final Flow.Subscriber<? super Payload> downstream;

        Forwarding(Flow.Subscriber<? super Payload> downstream) {
            this.downstream = downstream;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            downstream.onSubscribe(subscription);
        }

        @Override
        public void onNext(Payload item) {
            downstream.onNext(item);
        }

        @Override
        public void onError(Throwable error) {
            downstream.onError(error);
        }

        @Override
        public void onComplete() {
            downstream.onComplete();
        }
    }
}
