package dev.tandem.core.engine;

import dev.tandem.core.stage.StageResponse;
import java.util.List;

/** The last stage's response and the time each stage took, in the order they ran. */
public record InvocationResult(StageResponse response, List<StageTiming> timings) {

    public InvocationResult {
        timings = List.copyOf(timings);
    }

    /** Time spent inside stages: SageMaker's {@code ModelLatency}. */
    public long modelNanos() {
        long total = 0;
        for (StageTiming timing : timings) {
            total += timing.nanos();
        }
        return total;
    }
}
