package dev.tandem.core.engine;

import dev.tandem.core.stage.PartSource;
import dev.tandem.core.stage.Payload;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import org.jspecify.annotations.Nullable;

/**
 * The bridge from a stream ({@link Flow.Publisher}) to an in-process stage reading it on its own
 * thread ({@link PartSource}, blocking): at most {@link #WINDOW} parts are asked for ahead of the
 * stage, so a slow stage slows the stream instead of filling memory.
 */
final class StreamReader implements Flow.Subscriber<Payload>, PartSource {
    static final int WINDOW = 4;

    /** A part, or how the stream ended. */
    private sealed interface Signal {}

    private record Part(Payload payload) implements Signal {}

    private record Ended(@Nullable Throwable error) implements Signal {}

    private final LinkedBlockingQueue<Signal> arrived = new LinkedBlockingQueue<>();
    private volatile Flow.@Nullable Subscription subscription;
    private boolean ended;

    @Override
    public void onSubscribe(Flow.Subscription given) {
        subscription = given;
        given.request(WINDOW);
    }

    @Override
    public void onNext(Payload item) {
        arrived.add(new Part(item));
    }

    @Override
    public void onError(Throwable error) {
        arrived.add(new Ended(error));
    }

    @Override
    public void onComplete() {
        arrived.add(new Ended(null));
    }

    @Override
    public byte @Nullable [] next() {
        if (ended) {
            return null;
        }
        Signal signal;
        try {
            signal = arrived.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cancel();
            throw new IllegalStateException("interrupted while waiting for the stream", e);
        }
        return switch (signal) {
            case Part part -> {
                Flow.Subscription given = subscription;
                if (given != null) {
                    given.request(1);
                }
                yield part.payload().unsafeArray();
            }
            case Ended end -> {
                ended = true;
                Throwable error = end.error();
                if (error instanceof RuntimeException failure) {
                    throw failure;
                }
                if (error != null) {
                    throw new IllegalStateException(error);
                }
                yield null;
            }
        };
    }

    /** Stops the stream: the stage reading it has finished or failed. */
    void cancel() {
        Flow.Subscription given = subscription;
        if (given != null) {
            given.cancel();
        }
    }
}
