package dev.tandem.core.stage;

/**
 * The parts of the previous stage's streamed answer, as a stage that {@linkplain
 * Stage#consumesStream() consumes a stream} reads them: one at a time, as they arrive.
 */
public interface PartSource {

    /**
     * The next part, waiting until it arrives; null once the previous stage has finished.
     *
     * @throws RuntimeException the previous stage's failure, when its stream broke: let it propagate,
     *     so that the client is told which stage failed
     */
    byte @org.jspecify.annotations.Nullable [] next();
}
