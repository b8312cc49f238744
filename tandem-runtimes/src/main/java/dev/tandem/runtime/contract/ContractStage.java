package dev.tandem.runtime.contract;

import dev.tandem.core.engine.AsyncStage;
import dev.tandem.core.engine.InvocationLimits;
import dev.tandem.core.engine.StageTimeoutException;
import dev.tandem.core.engine.StreamedResponse;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.core.stage.StageResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A container reached over HTTP, seen by the engine as a stage. Its address is looked up for each
 * invocation: a supervised container may move to another port when it restarts. When no connection
 * to it can be opened, the stage tells its supervisor at once ({@code whenRefused}), whatever sent
 * the request: an invocation, a batch transform, an asynchronous request.
 */
public final class ContractStage implements AsyncStage {
    private final ContractClient client;
    private final Supplier<ContractTarget> target;
    private final Duration timeout;
    private final Runnable whenRefused;
    private final @Nullable InvocationLimits limits;

    /** A server Tandem does not run: nobody to tell when it refuses a connection. */
    public ContractStage(ContractClient client, ContractTarget target, Duration timeout) {
        this(client, () -> target, timeout, () -> {}, null);
    }

    /**
     * A container whose address is {@code target}'s answer at the time of each invocation.
     *
     * @param whenRefused runs on the I/O thread when a connection to the container was refused
     */
    public ContractStage(
            ContractClient client, Supplier<ContractTarget> target, Duration timeout, Runnable whenRefused) {
        this(client, target, timeout, whenRefused, null);
    }

    private ContractStage(
            ContractClient client,
            Supplier<ContractTarget> target,
            Duration timeout,
            Runnable whenRefused,
            @Nullable InvocationLimits limits) {
        this.client = client;
        this.target = target;
        this.timeout = timeout;
        this.whenRefused = whenRefused;
        this.limits = limits;
    }

    @Override
    public CompletionStage<StageResponse> invoke(StageRequest request) {
        if (limits == null) {
            return client.invoke(target.get(), request, timeout, null, whenRefused);
        }
        Duration left = limits.remaining();
        if (left.isZero()) {
            return CompletableFuture.failedFuture(new StageTimeoutException(Duration.ZERO));
        }
        return client.invoke(target.get(), request, left, limits, whenRefused);
    }

    @Override
    public CompletionStage<StreamedResponse> invokeStreaming(StageRequest request) {
        if (limits != null) {
            return invoke(request).thenApply(StreamedResponse::whole);
        }
        return client.stream(target.get(), request, timeout, whenRefused);
    }

    /** The same container with the invocation's deadline as its timeout and its answers spooled. */
    @Override
    public AsyncStage within(InvocationLimits invocationLimits) {
        return new ContractStage(client, target, timeout, whenRefused, invocationLimits);
    }

    public ContractTarget target() {
        return target.get();
    }
}
