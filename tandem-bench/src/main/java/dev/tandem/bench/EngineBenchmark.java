package dev.tandem.bench;

import dev.tandem.core.engine.AsyncStage;
import dev.tandem.core.engine.InvocationResult;
import dev.tandem.core.engine.PipelineEngine;
import dev.tandem.core.engine.PipelineStage;
import dev.tandem.core.model.ExecutionMode;
import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.Stage;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.core.stage.StageResponse;
import dev.tandem.server.tracing.Tracing;
import dev.tandem.stages.identity.IdentityStageProvider;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The engine's own cost per invocation of three in-process stages — hand-off of content types,
 * payload checks, timing — against calling the same three stages in a plain loop; and the same
 * invocation traced as a server traces it (a server span and a span a stage, into OpenTelemetry's
 * batch span processor, whose exporter drops them: the processor's own thread is not in the time
 * per operation, only on the machine's other core).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class EngineBenchmark {
    private PipelineEngine engine;
    private List<PipelineStage> stages;
    private Stage[] plain;
    private StageRequest request;
    private OpenTelemetrySdk openTelemetry;
    private Tracing tracing;

    @Setup
    public void setUp() throws Exception {
        IdentityStageProvider provider = new IdentityStageProvider();
        plain = new Stage[3];
        for (int i = 0; i < plain.length; i++) {
            plain[i] = provider.create(new dev.tandem.core.stage.StageContext("s" + i, Path.of("."), Map.of()));
        }
        stages = List.of(
                new PipelineStage("s0", AsyncStage.of(plain[0], Runnable::run)),
                new PipelineStage("s1", AsyncStage.of(plain[1], Runnable::run)),
                new PipelineStage("s2", AsyncStage.of(plain[2], Runnable::run)));
        engine = new PipelineEngine(6_291_456);
        request = new StageRequest(Payload.utf8("5.1,3.5,1.4,0.2"), "text/csv", "application/json", null);
        openTelemetry = ObservabilityBenchmark.discardingOpenTelemetry();
        tracing = Tracing.with(openTelemetry);
    }

    @TearDown
    public void tearDown() {
        openTelemetry.close();
    }

    /** Baseline: the three stages called directly, each with the previous one's answer. */
    @Benchmark
    public StageResponse directCalls() {
        StageResponse response = plain[0].invoke(request);
        for (int i = 1; i < plain.length; i++) {
            response = plain[i].invoke(new StageRequest(response.body(), response.contentType(), null, null));
        }
        return response;
    }

    @Benchmark
    public InvocationResult engineSerial() {
        return engine.invokeAndWait(ExecutionMode.SERIAL, stages, request, null);
    }

    /** The engine's invocation, traced: what every request traced at 100% adds on its own thread. */
    @Benchmark
    public InvocationResult engineSerialTraced() {
        Tracing.Invocation trace = java.util.Objects.requireNonNull(tracing.start("bench", header -> null));
        InvocationResult result = engine.invokeAndWait(
                ExecutionMode.SERIAL, tracing.traced(stages, trace, "bench", "AllTraffic", "i-1"), request, null);
        trace.end(200, null);
        return result;
    }
}
