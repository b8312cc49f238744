package dev.tandem.runtime.contract;

import dev.tandem.core.engine.AsyncStage;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.core.stage.StageResponse;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/** A container reached over HTTP, seen by the engine as a stage. */
public final class ContractStage implements AsyncStage {
    private final ContractClient client;
    private final ContractTarget target;
    private final Duration timeout;

    public ContractStage(ContractClient client, ContractTarget target, Duration timeout) {
        this.client = client;
        this.target = target;
        this.timeout = timeout;
    }

    @Override
    public CompletionStage<StageResponse> invoke(StageRequest request) {
        return client.invoke(target, request, timeout);
    }

    public ContractTarget target() {
        return target;
    }
}
