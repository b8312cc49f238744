package dev.tandem.core.stage;

import java.util.List;

/**
 * One step of an inference pipeline: takes a body with its content type and answers another.
 *
 * <p>Every container of a pipeline is a stage to the engine, whatever runs it: a child process or
 * remote server reached over HTTP, or an in-process Java implementation loaded by name through a
 * {@link StageProvider} ({@code "Image": "builtin:NAME"}).
 *
 * <h2>Contract for implementations</h2>
 *
 * <ul>
 *   <li><b>Concurrency.</b> {@link #invoke} is called concurrently from many threads (virtual
 *       threads, one per request); implementations must be thread-safe. Blocking is fine.
 *   <li><b>Native code.</b> A stage that calls into native code (JNI: ONNX Runtime, XGBoost)
 *       says so with {@link #callsNativeCode()}; Tandem then runs it on a bounded pool of platform
 *       threads sized to the cores, because a JNI call pins the virtual thread it runs on.
 *   <li><b>Content types.</b> A stage lists the media types it {@linkplain #accepts() accepts}
 *       and {@linkplain #produces() produces}; Tandem refuses a request whose {@code Content-Type}
 *       or {@code Accept} it cannot serve before calling it (415 and 406, as a container would),
 *       and the stage picks its answer's type with {@link MediaTypes#negotiate}.
 *   <li><b>Errors.</b> To refuse input or report a failure, throw {@link StageException} with the
 *       HTTP status a container would have answered (400 for bad input, 500 for a fault). Any
 *       other exception is reported as a 500 from this stage. Either way the client gets a {@code
 *       ModelError} that names the stage.
 *   <li><b>Streaming.</b> For InvokeEndpointWithResponseStream, the pipeline's last stage answers
 *       through {@link #stream}; by default that is {@link #invoke}'s answer as one part. A stage
 *       that produces its answer over time (a generative model, token by token) overrides {@link
 *       #stream} and says so with {@link #streams()}. A stage placed after a streaming one may
 *       transform the stream as it passes ({@link #consumesStream()}, {@link #consume}) instead of
 *       waiting for the whole of it.
 *   <li><b>Lifecycle.</b> A stage is created once per instance by its provider and closed when the
 *       instance stops.
 * </ul>
 */
public interface Stage extends AutoCloseable {

    /** Runs the stage on one request. */
    StageResponse invoke(StageRequest request);

    /**
     * Whether {@link #invoke} never blocks and returns within microseconds (a pure in-memory
     * transformation). Tandem then calls it on its I/O thread instead of handing the request to
     * another thread, which saves that hand-off on every request. Leave it false — the default —
     * for anything that waits, does I/O, calls native code or may take longer.
     */
    default boolean nonBlocking() {
        return false;
    }

    /**
     * The media types this stage takes as {@code Content-Type}, such as {@code text/csv}; a
     * request without a content type is passed on and the stage applies its default. Empty (the
     * default) means any type.
     */
    default List<String> accepts() {
        return List.of();
    }

    /**
     * The media types this stage can answer with, its default first. Empty (the default) means
     * the stage does not say, and any {@code Accept} is passed on.
     */
    default List<String> produces() {
        return List.of();
    }

    /**
     * Whether {@link #invoke} calls native code through JNI. Such a stage runs on a bounded pool
     * of platform threads rather than on a virtual thread, which a native call would pin.
     */
    default boolean callsNativeCode() {
        return false;
    }

    /**
     * Whether this stage overrides {@link #stream} to send its answer in parts. Tandem then calls
     * it for streamed invocations on a thread of its own, since writing blocks while the client is
     * behind.
     */
    default boolean streams() {
        return false;
    }

    /**
     * Answers {@code request} in parts, as they are ready: called instead of {@link #invoke} when
     * the client asked for a stream and this stage's answer goes to it. Errors are thrown as from
     * {@link #invoke}: before the answer {@linkplain ResponseStream#start starts} the client gets an
     * ordinary {@code ModelError}, after it an error event in the stream — so read and check the
     * request before starting.
     */
    default void stream(StageRequest request, ResponseStream out) {
        StageResponse answer = invoke(request);
        out.start(answer.contentType(), answer.customAttributes());
        out.write(answer.body().unsafeArray());
    }

    /**
     * Whether this stage can take the previous stage's answer as a stream ({@link #consume}). In a
     * streamed invocation every stage after the last one that cannot is fed so, and the previous
     * stage streams; otherwise the stage gets the whole answer through {@link #invoke}.
     */
    default boolean consumesStream() {
        return false;
    }

    /**
     * Transforms the previous stage's streamed answer as it arrives. {@code request} carries the
     * previous stage's content type and the client's headers, and an empty body: the body is what
     * {@code in} delivers.
     */
    default void consume(StageRequest request, PartSource in, ResponseStream out) {
        throw new UnsupportedOperationException(getClass().getName() + " does not consume streams");
    }

    /** Releases what the stage holds; called once, when its instance stops. */
    @Override
    default void close() {}
}
