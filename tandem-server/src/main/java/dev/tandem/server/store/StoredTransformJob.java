package dev.tandem.server.store;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * A batch transform job.
 *
 * @param definition the CreateTransformJob request as JSON, with SageMaker's defaults filled in
 * @param status SageMaker's TransformJobStatus: InProgress, Completed, Failed, Stopping, Stopped
 */
public record StoredTransformJob(
        String name,
        String arn,
        String definition,
        String status,
        @Nullable String failureReason,
        Instant createdAt,
        @Nullable Instant startedAt,
        @Nullable Instant endedAt,
        Instant lastModifiedAt) {

    public StoredTransformJob started(Instant at) {
        return new StoredTransformJob(name, arn, definition, status, failureReason, createdAt, at, endedAt, at);
    }

    public StoredTransformJob withStatus(String newStatus, @Nullable String reason, Instant at) {
        boolean ended = newStatus.equals("Completed") || newStatus.equals("Failed") || newStatus.equals("Stopped");
        return new StoredTransformJob(
                name, arn, definition, newStatus, reason, createdAt, startedAt, ended ? at : endedAt, at);
    }

    public boolean finished() {
        return status.equals("Completed") || status.equals("Failed") || status.equals("Stopped");
    }
}
