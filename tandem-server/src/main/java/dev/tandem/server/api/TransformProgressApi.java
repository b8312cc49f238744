package dev.tandem.server.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.server.batch.TransformJobs;
import dev.tandem.server.batch.TransformProgress;
import dev.tandem.server.store.StoredTransformJob;
import io.vertx.core.http.HttpServerRequest;
import java.util.Optional;

/**
 * {@code GET /transform-jobs/{TransformJobName}/progress}: a Tandem extension beside
 * DescribeTransformJob — the job's status and how far it has come (files, bytes, records), for
 * {@code ./tandem transform}'s progress bar.
 */
public final class TransformProgressApi {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TransformJobs jobs;
    private final ErrorResponses errors;

    public TransformProgressApi(TransformJobs jobs, ErrorResponses errors) {
        this.jobs = jobs;
        this.errors = errors;
    }

    public void handle(HttpServerRequest request, String jobName) {
        String requestId = RequestIds.next();
        try {
            StoredTransformJob job = jobs.job(jobName);
            Optional<TransformProgress.Snapshot> progress = jobs.progress(jobName);
            ObjectNode body = JSON.createObjectNode();
            body.put("TransformJobName", job.name());
            body.put("TransformJobStatus", job.status());
            if (job.failureReason() != null) {
                body.put("FailureReason", job.failureReason());
            }
            progress.ifPresent(p -> {
                ObjectNode out = body.putObject("Progress");
                out.put("FilesTotal", p.filesTotal());
                out.put("FilesDone", p.filesDone());
                out.put("FilesFailed", p.filesFailed());
                out.put("BytesTotal", p.bytesTotal());
                out.put("BytesRead", p.bytesRead());
                out.put("Records", p.records());
                out.put("Requests", p.requests());
            });
            String answer = body.toString();
            RequestLoop.answer(request, () -> request.response()
                    .putHeader("Content-Type", "application/json")
                    .putHeader("x-amzn-RequestId", requestId)
                    .end(answer));
        } catch (RuntimeException e) {
            errors.answer(request, requestId, e);
        }
    }
}
