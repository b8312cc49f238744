package dev.tandem.server.api;

import dev.tandem.core.engine.Failures;
import dev.tandem.core.engine.StageTimeoutException;
import dev.tandem.core.engine.StreamInterruptedException;
import dev.tandem.core.stage.Payload;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Flow;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one streamed answer to its client as event-stream messages, as its parts arrive: at most
 * {@link #WINDOW} parts are asked of the pipeline ahead of what the client's socket has taken, and
 * none while the socket's write queue is full, so a slow client slows the container's reads and
 * memory stays a few parts deep. The parts of one read leave in one write. Everything it does runs
 * on the client connection's event loop.
 *
 * <p>How a stream ends: completely; with a {@code ModelStreamError} when a stage's stream broke
 * ({@code StreamBroken}) or went silent for longer than the invocation timeout ({@code
 * ModelInvocationTimeExceeded}); with an {@code InternalStreamFailure} when Tandem failed; or,
 * when the client disconnects or stops reading for as long, by cancelling the stages' work.
 */
final class StreamedAnswer implements Flow.Subscriber<Payload> {
    private static final Logger LOG = LoggerFactory.getLogger(StreamedAnswer.class);

    /** How many parts are asked for ahead of the client. */
    static final int WINDOW = 16;

    /** How the stream ended, for whoever accounts for it. */
    record Outcome(
            @Nullable Throwable error,
            boolean clientGone,
            long firstPartNanos,
            long endNanos,
            long bytes,
            @Nullable Payload captured) {}

    /** Told once, on the event loop, when the stream is over. */
    interface Ending {
        /** Accounts for the stream's outcome and returns its {@code Server-Timing} trailer. */
        String ended(Outcome outcome);
    }

    private final Vertx vertx;
    private final Context context;
    private final HttpServerResponse response;
    private final long silenceMillis;
    private final Duration silenceLimit;
    private final long start;
    private final Ending ending;
    private final @Nullable ByteArrayOutputStream capture;
    private final long captureLimit;

    private Flow.@Nullable Subscription subscription;
    private final List<Buffer> pending = new ArrayList<>();
    private boolean flushScheduled;
    private long outstanding;
    /** When the stream last moved: a part arrived, or the client took what it was given. */
    private long lastProgress;

    private long timer = -1;
    private long firstPart = -1;
    private long bytes;
    private boolean over;
    private boolean captureOverflowed;
    /** Whether the stream waits for the client rather than for the stages. */
    private boolean waitingForClient;

    /**
     * @param silenceLimit how long a stage may stay silent, and a client may stop reading
     * @param start when the request arrived ({@link System#nanoTime()})
     * @param captureLimit the most of the answer kept for data capture; 0 to keep none
     */
    StreamedAnswer(
            Vertx vertx,
            Context context,
            HttpServerResponse response,
            Duration silenceLimit,
            long start,
            long captureLimit,
            Ending ending) {
        this.vertx = vertx;
        this.context = context;
        this.response = response;
        this.silenceLimit = silenceLimit;
        this.silenceMillis = Math.max(1, silenceLimit.toMillis());
        this.start = start;
        this.ending = ending;
        this.captureLimit = captureLimit;
        this.capture = captureLimit > 0 ? new ByteArrayOutputStream() : null;
    }

    @Override
    public void onSubscribe(Flow.Subscription given) {
        onLoop(() -> {
            subscription = given;
            response.closeHandler(closed -> clientGone());
            if (response.closed()) {
                clientGone();
                return;
            }
            lastProgress = System.nanoTime();
            timer = vertx.setTimer(silenceMillis, fired -> checkSilence());
            askForParts();
        });
    }

    @Override
    public void onNext(Payload part) {
        onLoop(() -> {
            if (over) {
                return;
            }
            outstanding--;
            lastProgress = System.nanoTime();
            byte[] bytesOfPart = part.unsafeArray();
            for (int offset = 0; offset < bytesOfPart.length; offset += EventStream.MAX_PART_BYTES) {
                int length = Math.min(EventStream.MAX_PART_BYTES, bytesOfPart.length - offset);
                pending.add(EventStream.payloadPart(bytesOfPart, offset, length));
            }
            if (firstPart < 0) {
                firstPart = System.nanoTime() - start;
            }
            bytes += bytesOfPart.length;
            keep(bytesOfPart);
            if (!flushScheduled) {
                // The parts of one read from the container arrive one after another on this loop; they
                // leave together, in one write, once it has handed them all over.
                flushScheduled = true;
                context.runOnContext(go -> {
                    flushScheduled = false;
                    if (!over) {
                        flush();
                        afterFlush();
                    }
                });
            }
        });
    }

    @Override
    public void onError(Throwable error) {
        onLoop(() -> {
            if (over) {
                return;
            }
            Throwable cause = Failures.unwrap(error);
            flush();
            response.write(errorEvent(cause));
            finish(cause, false);
        });
    }

    @Override
    public void onComplete() {
        onLoop(() -> {
            if (!over) {
                flush();
                finish(null, false);
            }
        });
    }

    /** Writes the parts that arrived since the last write, as one write. */
    private void flush() {
        if (pending.isEmpty()) {
            return;
        }
        Buffer out = pending.size() == 1 ? pending.getFirst() : EventStream.concat(pending);
        pending.clear();
        response.write(out);
    }

    /** More parts once the client has taken these: at once, or when its socket drains. */
    private void afterFlush() {
        if (response.writeQueueFull()) {
            waitingForClient = true;
            lastProgress = System.nanoTime();
            response.drainHandler(drained -> {
                if (!over) {
                    waitingForClient = false;
                    lastProgress = System.nanoTime();
                    askForParts();
                }
            });
        } else {
            askForParts();
        }
    }

    /** The event telling the client how the stream broke. */
    private Buffer errorEvent(Throwable cause) {
        if (cause instanceof StreamInterruptedException broken) {
            if (broken.timedOut()) {
                return EventStream.modelStreamError("ModelInvocationTimeExceeded", silentFor(broken.hostname()));
            }
            return EventStream.modelStreamError(
                    "StreamBroken",
                    "The stream from container " + broken.hostname() + " broke before it ended: "
                            + describe(broken.getCause()));
        }
        if (cause instanceof StageTimeoutException) {
            return EventStream.modelStreamError("ModelInvocationTimeExceeded", silentFor("the model"));
        }
        LOG.warn("streamed invocation failed inside Tandem", cause);
        return EventStream.internalStreamFailure(
                "Tandem failed while streaming the answer (" + describe(cause) + "). Try your request again.");
    }

    private String silentFor(String who) {
        return "The model failed to finish sending the response within the timeout period allowed: " + who
                + " sent nothing for " + silenceLimit.toMillis() + " ms.";
    }

    /** Keeps {@link #WINDOW} parts asked for ahead: enough for a read's worth, never more. */
    private void askForParts() {
        Flow.Subscription given = subscription;
        if (given != null && outstanding < WINDOW) {
            long more = WINDOW - outstanding;
            outstanding = WINDOW;
            given.request(more);
        }
    }

    /**
     * The silence timer fired: if nothing moved for the whole limit — no part from the stages, or
     * no room at the client — the stream ends; else it looks again when the limit would be reached.
     * (One timer a stream, not one a part: each part only notes the time.)
     */
    private void checkSilence() {
        timer = -1;
        if (over) {
            return;
        }
        long quiet = System.nanoTime() - lastProgress;
        long limit = silenceMillis * 1_000_000L;
        if (quiet < limit) {
            timer = vertx.setTimer(Math.max(1, (limit - quiet) / 1_000_000L), fired -> checkSilence());
            return;
        }
        cancelUpstream();
        if (waitingForClient) {
            // The client stopped reading: it cannot be told, only let go.
            finish(null, true);
            response.reset();
            return;
        }
        flush();
        response.write(EventStream.modelStreamError("ModelInvocationTimeExceeded", silentFor("the model")));
        finish(new StageTimeoutException(silenceLimit), false);
    }

    private void cancelTimer() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
            timer = -1;
        }
    }

    private void clientGone() {
        if (over) {
            return;
        }
        cancelUpstream();
        finish(null, true);
    }

    private void cancelUpstream() {
        Flow.Subscription given = subscription;
        if (given != null) {
            given.cancel();
        }
    }

    private void finish(@Nullable Throwable error, boolean clientGone) {
        over = true;
        cancelTimer();
        Payload captured = capture != null && !captureOverflowed ? Payload.wrap(capture.toByteArray()) : null;
        String timing =
                ending.ended(new Outcome(error, clientGone, firstPart, System.nanoTime() - start, bytes, captured));
        if (!clientGone && !response.closed()) {
            response.putTrailer("Server-Timing", timing);
            response.end();
        }
    }

    /** Keeps what data capture records, up to its limit; past it, the answer is not captured. */
    private void keep(byte[] part) {
        if (capture == null || captureOverflowed) {
            return;
        }
        if (capture.size() + (long) part.length > captureLimit) {
            captureOverflowed = true;
            capture.reset();
            return;
        }
        capture.writeBytes(part);
    }

    private void onLoop(Runnable action) {
        if (Vertx.currentContext() == context) {
            action.run();
        } else {
            context.runOnContext(go -> action.run());
        }
    }

    private static String describe(@Nullable Throwable cause) {
        if (cause == null) {
            return "unknown";
        }
        return cause.getMessage() != null
                ? cause.getMessage()
                : cause.getClass().getSimpleName();
    }
}
