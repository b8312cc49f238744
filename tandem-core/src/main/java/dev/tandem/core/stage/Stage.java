package dev.tandem.core.stage;

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
 *   <li><b>Native code.</b> A stage that calls into native code (JNI) pins the virtual thread it
 *       runs on; such stages should run their native work on a bounded pool of platform threads
 *       and wait on it.
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

    /** Releases what the stage holds; called once, when its instance stops. */
    @Override
    default void close() {}
}
