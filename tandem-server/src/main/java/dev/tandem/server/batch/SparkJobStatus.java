package dev.tandem.server.batch;

import org.jspecify.annotations.Nullable;

/**
 * What a job's Spark driver reports (its {@code status.json}, rewritten as the job goes): its
 * state, the Spark application it runs as, why it failed, and the records done across executors.
 *
 * @param state {@code Starting}, {@code Running}, or one of the ends: {@code Completed}, {@code
 *     Failed}, {@code Stopped}
 */
public record SparkJobStatus(
        String state, @Nullable String applicationId, @Nullable String reason, TransformProgress.Snapshot progress) {
    public static final String STARTING = "Starting";
    public static final String RUNNING = "Running";
    public static final String COMPLETED = "Completed";
    public static final String FAILED = "Failed";
    public static final String STOPPED = "Stopped";

    public boolean ended() {
        return state.equals(COMPLETED) || state.equals(FAILED) || state.equals(STOPPED);
    }
}
