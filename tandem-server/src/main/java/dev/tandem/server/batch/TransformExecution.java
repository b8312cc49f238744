package dev.tandem.server.batch;

/**
 * One execution of a transform job, on this machine ({@link TransformJobRun}) or on a Spark
 * cluster ({@link SparkTransformRun}): run on a thread of its own, stopped or interrupted from
 * another.
 */
interface TransformExecution {
    /** How a run ended. */
    sealed interface Outcome {
        record Completed() implements Outcome {}

        record Failed(String reason) implements Outcome {}

        record Stopped() implements Outcome {}

        /** The server is shutting down: the job stays InProgress and resumes on the next start. */
        record Interrupted() implements Outcome {}
    }

    /** Runs the job to its end; blocks. */
    Outcome run();

    /** StopTransformJob: the run ends Stopped as soon as the work in flight is abandoned. */
    void stop();

    /** The server is shutting down: the run ends Interrupted, to resume on the next start. */
    void interrupt();

    /** How far it has come. */
    TransformProgress.Snapshot progress();
}
