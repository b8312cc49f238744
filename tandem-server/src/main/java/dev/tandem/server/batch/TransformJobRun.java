package dev.tandem.server.batch;

import dev.tandem.core.model.PipelineDefinition;
import dev.tandem.runtime.storage.ObjectStore;
import dev.tandem.server.endpoint.EndpointRegistry;
import dev.tandem.server.endpoint.Instance;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A transform job run on this machine: starts the model's containers ({@code InstanceCount}
 * instances, none of them an endpoint), transforms the inputs one after the other through all of
 * them, and stops the containers.
 */
final class TransformJobRun implements TransformExecution {
    private static final Logger LOG = LoggerFactory.getLogger(TransformJobRun.class);

    private final TransformJobSpec spec;
    private final List<InputFiles.InputFile> inputs;
    private final PipelineDefinition model;
    private final EndpointRegistry registry;
    private final ObjectStore objects;
    private final Path scratch;
    private final Duration startupTimeout;
    private final boolean resume;
    private final TransformProgress progress = new TransformProgress();
    private volatile boolean stopRequested;
    private volatile boolean shuttingDown;

    /**
     * @param inputs the job's inputs, listed when the job was created (or resumed)
     * @param resume whether an earlier run of this job was cut off: inputs whose output is already
     *     in place are not transformed again
     */
    TransformJobRun(
            TransformJobSpec spec,
            List<InputFiles.InputFile> inputs,
            PipelineDefinition model,
            EndpointRegistry registry,
            ObjectStore objects,
            Path scratch,
            Duration startupTimeout,
            boolean resume) {
        this.spec = spec;
        this.inputs = List.copyOf(inputs);
        this.model = model;
        this.registry = registry;
        this.objects = objects;
        this.scratch = scratch;
        this.startupTimeout = startupTimeout;
        this.resume = resume;
    }

    @Override
    public TransformProgress.Snapshot progress() {
        return progress.snapshot();
    }

    @Override
    public void stop() {
        stopRequested = true;
        registry.statusChanges().signal();
    }

    @Override
    public void interrupt() {
        shuttingDown = true;
        registry.statusChanges().signal();
    }

    @Override
    public Outcome run() {
        progress.inputs(
                inputs.size(),
                inputs.stream().mapToLong(InputFiles.InputFile::size).sum());
        TransformFleet fleet;
        try {
            fleet = TransformFleet.launch(registry, spec, model, spec.instanceCount(), startupTimeout, this::stopping);
        } catch (TransformFleet.StartFailure e) {
            return stopping() ? stoppedOutcome() : new Outcome.Failed(e.getMessage());
        }
        try (fleet) {
            ExecutionParameters parameters = fleet.parameters();
            List<Instance> instances = fleet.variant().instances();
            LOG.info(
                    "Transform job {}: {} input(s), {} instance(s), {} MB payloads, {} request(s) in flight per"
                            + " instance, {}",
                    spec.name(),
                    inputs.size(),
                    instances.size(),
                    parameters.maxPayloadMb(),
                    parameters.maxConcurrent(),
                    parameters.strategy());
            InputTransformer transformer = new InputTransformer(
                    spec, model.mode(), parameters, instances, objects, scratch, progress, this::stopping);
            String firstFailure = null;
            for (InputFiles.InputFile input : inputs) {
                if (stopping()) {
                    break;
                }
                if (resume && OutputFile.exists(OutputFile.target(spec.output().location(), input.name()), objects)) {
                    progress.read(input.size());
                    progress.fileDone(false);
                    continue;
                }
                String failure = transformer.transform(input);
                if (stopping()) {
                    break; // the input was cut off, not failed
                }
                progress.fileDone(failure != null);
                if (failure != null && firstFailure == null) {
                    firstFailure = failure;
                }
            }
            if (stopping()) {
                return stoppedOutcome();
            }
            return firstFailure == null ? new Outcome.Completed() : new Outcome.Failed(firstFailure);
        }
    }

    private boolean stopping() {
        return stopRequested || shuttingDown;
    }

    private Outcome stoppedOutcome() {
        return shuttingDown ? new Outcome.Interrupted() : new Outcome.Stopped();
    }
}
