package dev.tandem.core.engine;

import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.ResponseStream;
import dev.tandem.core.stage.StreamCancelledException;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The bridge from an in-process stage writing its answer on its own thread ({@link ResponseStream},
 * blocking) to the reader of the stream ({@link Flow.Publisher}, asynchronous): a part is handed
 * over only when the reader has asked for one, so the writer waits, holding nothing, while the
 * client is behind. One reader.
 */
final class StreamWriter implements ResponseStream, Flow.Publisher<Payload>, Flow.Subscription {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition demanded = lock.newCondition();
    private final CompletableFuture<StreamedResponse> head = new CompletableFuture<>();

    private Flow.@Nullable Subscriber<? super Payload> reader;
    private long demand;
    private boolean cancelled;
    /** How the stream ended, when it ended before its reader subscribed: null while it goes on. */
    private @Nullable Runnable pendingEnd;

    /** Completes with the answer's head once the stage has started it, or fails if it fails first. */
    CompletableFuture<StreamedResponse> head() {
        return head;
    }

    @Override
    public void start(@Nullable String contentType, @Nullable String customAttributes) {
        if (!head.complete(new StreamedResponse(contentType, customAttributes, this))) {
            throw new IllegalStateException("the stream was already started");
        }
    }

    @Override
    public void write(byte[] part) {
        if (!head.isDone()) {
            start(null, null);
        }
        if (part.length == 0) {
            return;
        }
        Flow.Subscriber<? super Payload> to;
        lock.lock();
        try {
            while (demand == 0 && !cancelled) {
                demanded.awaitUninterruptibly();
            }
            if (cancelled) {
                throw new StreamCancelledException();
            }
            demand--;
            to = reader;
        } finally {
            lock.unlock();
        }
        if (to != null) {
            to.onNext(Payload.wrap(part));
        }
    }

    /** The stage returned: the stream ends (a stage that wrote nothing answers an empty stream). */
    void complete() {
        if (!head.isDone()) {
            start(null, null);
        }
        end(reader -> reader.onComplete());
    }

    /** The stage failed: before its first part the invocation fails, after it the stream does. */
    void fail(Throwable error) {
        if (head.completeExceptionally(error)) {
            return;
        }
        end(reader -> reader.onError(error));
    }

    private void end(Consumer<Flow.Subscriber<? super Payload>> signal) {
        Flow.Subscriber<? super Payload> to;
        lock.lock();
        try {
            to = reader;
            if (to == null) {
                pendingEnd = () -> signal.accept(Objects.requireNonNull(reader));
                return;
            }
            if (cancelled) {
                return;
            }
        } finally {
            lock.unlock();
        }
        signal.accept(to);
    }

    @Override
    public void subscribe(Flow.Subscriber<? super Payload> subscriber) {
        Runnable ended;
        lock.lock();
        try {
            if (reader != null) {
                throw new IllegalStateException("a stream has one reader");
            }
            reader = subscriber;
        } finally {
            lock.unlock();
        }
        subscriber.onSubscribe(this);
        lock.lock();
        try {
            ended = cancelled ? null : pendingEnd;
        } finally {
            lock.unlock();
        }
        if (ended != null) {
            ended.run();
        }
    }

    @Override
    public void request(long n) {
        lock.lock();
        try {
            demand = n <= 0 || demand + n < 0 ? Long.MAX_VALUE : demand + n;
            demanded.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void cancel() {
        lock.lock();
        try {
            cancelled = true;
            demanded.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
