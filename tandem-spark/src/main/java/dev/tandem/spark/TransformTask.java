package dev.tandem.spark;

import dev.tandem.server.batch.InputTransformer;
import dev.tandem.server.batch.SparkJob;
import dev.tandem.server.batch.TransformFleet;
import dev.tandem.server.batch.TransformProgress;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function;

/**
 * The work of one Spark task: one input object transformed by the model instance of the executor
 * it runs in, its output published whole or not at all — so a task that Spark runs again (its
 * executor lost) rewrites the same output, never a second copy. Progress goes to the driver
 * through accumulators, live with each executor heartbeat.
 */
final class TransformTask implements Function<SparkJob.Input, InputOutcome> {
    private static final long serialVersionUID = 1L;

    private final SparkJob job;
    private final TransformAccumulators counters;

    TransformTask(SparkJob job, TransformAccumulators counters) {
        this.job = job;
        this.counters = counters;
    }

    @Override
    public InputOutcome call(SparkJob.Input input) {
        ExecutorPipelines.Host host;
        try {
            host = ExecutorPipelines.forJob(job);
        } catch (TransformFleet.StartFailure e) {
            return InputOutcome.notStarted(input.name(), e.getMessage());
        }
        TaskContext task = TaskContext.get();
        TransformProgress progress = new TransformProgress(new TransformProgress.Listener() {
            @Override
            public void read(long bytes) {
                counters.bytesRead().add(bytes);
            }

            @Override
            public void transformed(int records) {
                counters.records().add(records);
                counters.requests().add(1);
            }
        });
        InputTransformer transformer = new InputTransformer(
                job.spec(),
                host.model().mode(),
                host.parameters(),
                host.instances(),
                host.objects(),
                host.scratch(),
                progress,
                () -> task != null && task.isInterrupted());
        String failure = transformer.transform(input.file());
        if (failure == null) {
            counters.filesDone().add(1);
            return InputOutcome.done(input.name());
        }
        counters.filesFailed().add(1);
        return InputOutcome.failed(input.name(), failure);
    }
}
