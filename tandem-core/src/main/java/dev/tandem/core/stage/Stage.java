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

    /** Releases what the stage holds; called once, when its instance stops. */
    @Override
    default void close() {}
}
