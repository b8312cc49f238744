package dev.tandem.core.engine;

import java.util.List;

/**
 * A streamed invocation once its answer has started: the stream, and the time each stage took —
 * the whole time of a stage that ran before the streaming ones, the time to its answer's head of a
 * stage that streams.
 *
 * @param streamingStages how many of the last stages stream (the first of them produces the stream,
 *     the others transform it as it passes)
 */
public record StreamedInvocation(StreamedResponse response, List<StageTiming> timings, int streamingStages) {

    public StreamedInvocation {
        timings = List.copyOf(timings);
    }
}
