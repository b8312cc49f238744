package dev.tandem.server.endpoint;

import dev.tandem.core.engine.InvocationResult;
import dev.tandem.core.stage.StageRequest;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * An instance that another Tandem process runs — a pod of a cluster, behind this server as its
 * gateway. The gateway does not run the pipeline's stages: it hands the whole invocation to the
 * instance, which runs them and reports each stage's time.
 */
public interface RemoteInstance {

    /**
     * Runs the pipeline on the instance.
     *
     * @param targetContainer the container a direct-mode request names, or null
     * @param inferenceId the client's inference id, or null
     * @return the last container's answer and each stage's timing as the instance measured it, or a
     *     failure with the {@link dev.tandem.core.error.TandemException} the instance answered
     */
    CompletableFuture<InvocationResult> invoke(
            StageRequest request, @Nullable String targetContainer, @Nullable String inferenceId);

    /** Whether requests may go to it: false for a while after it could not be reached. */
    boolean isAvailable();
}
