package dev.tandem.server.batch;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.core.error.ErrorKind;
import dev.tandem.core.error.TandemException;
import dev.tandem.core.error.ValidationException;
import dev.tandem.core.model.ExecutionMode;
import dev.tandem.core.model.PipelineDefinition;
import dev.tandem.core.model.PipelineParser;
import dev.tandem.runtime.RuntimeSettings;
import dev.tandem.runtime.storage.ObjectStore;
import dev.tandem.runtime.storage.S3Settings;
import dev.tandem.server.control.ControlPlane;
import dev.tandem.server.endpoint.EndpointRegistry;
import dev.tandem.server.store.StateStore;
import dev.tandem.server.store.StoredModel;
import dev.tandem.server.store.StoredTransformJob;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Batch transform jobs: CreateTransformJob, DescribeTransformJob, ListTransformJobs,
 * StopTransformJob, each job run on its own virtual thread and its status kept in the state store.
 * A job that a stopped server cut off resumes when the server starts again, skipping the inputs
 * whose output was already complete.
 */
public final class TransformJobs implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TransformJobs.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final StateStore store;
    private final ControlPlane control;
    private final EndpointRegistry registry;
    private final ObjectStore objects;
    private final Path scratch;
    private final Clock clock;
    private final Duration startupTimeout;
    private final int maxInstances;
    private final PipelineParser parser = new PipelineParser();
    private final Map<String, Running> running = new ConcurrentHashMap<>();

    private final @Nullable SparkSettings spark;
    private final S3Settings s3;
    private final SparkRuntime runtime;

    private record Running(TransformExecution run, Thread thread) {}

    /** The Environment entry that picks where one job runs: {@code local} or {@code spark}. */
    public static final String ENGINE_VARIABLE = "TANDEM_BATCH_ENGINE";

    public TransformJobs(
            StateStore store,
            ControlPlane control,
            EndpointRegistry registry,
            ObjectStore objects,
            Path scratch,
            Clock clock,
            Duration startupTimeout,
            int maxInstances,
            @Nullable SparkSettings spark,
            S3Settings s3,
            RuntimeSettings runtime) {
        this.store = store;
        this.control = control;
        this.registry = registry;
        this.objects = objects;
        this.scratch = scratch;
        this.clock = clock;
        this.startupTimeout = startupTimeout;
        this.maxInstances = maxInstances;
        this.spark = spark;
        this.s3 = s3;
        this.runtime = SparkRuntime.of(runtime);
    }

    /** CreateTransformJob: checks the request, stores the job InProgress and starts it. */
    public synchronized StoredTransformJob create(ObjectNode request) {
        ObjectNode definition = request.deepCopy();
        TransformJobSpec spec = TransformJobSpec.read(definition);
        PipelineDefinition model = model(control.model(spec.modelName()));
        if (model.mode() != ExecutionMode.SERIAL) {
            throw new ValidationException("Model " + spec.modelName() + " runs its containers in Direct mode;"
                    + " batch transform runs Serial pipelines.");
        }
        if (spec.instanceCount() > maxInstances) {
            throw new TandemException(
                    ErrorKind.RESOURCE_LIMIT_EXCEEDED,
                    "TransformResources.InstanceCount " + spec.instanceCount() + " exceeds this server's limit of "
                            + maxInstances + " instances.");
        }
        onSpark(spec); // an engine this server does not have: refused now
        List<InputFiles.InputFile> inputs = new InputFiles(objects).list(spec.input()); // none: refused now
        String arn = control.arns().transformJob(spec.name());
        StoredTransformJob job = new StoredTransformJob(
                spec.name(),
                arn,
                definition.toString(),
                "InProgress",
                null,
                clock.instant(),
                null,
                null,
                clock.instant());
        if (!store.insertTransformJob(job)) {
            throw new TandemException(
                    ErrorKind.RESOURCE_IN_USE,
                    "Job name must be unique within an AWS account and region, and a job with this name already"
                            + " exists (" + arn + ")");
        }
        LOG.info(
                "Transform job {} created: model {}, input {}",
                spec.name(),
                spec.modelName(),
                spec.input().location());
        start(job, spec, inputs, model, false);
        return job;
    }

    public StoredTransformJob job(String name) {
        return store.transformJob(name)
                .orElseThrow(() -> new ValidationException("Could not find requested job with name " + name + "."));
    }

    public List<StoredTransformJob> jobs() {
        return store.transformJobs();
    }

    /** The progress of a running job; empty once it has ended (or before a restart resumed it). */
    public Optional<TransformProgress.Snapshot> progress(String name) {
        job(name);
        return Optional.ofNullable(running.get(name)).map(r -> r.run().progress());
    }

    /** StopTransformJob: Stopping now, Stopped once the requests in flight are done. */
    public synchronized void stop(String name) {
        StoredTransformJob job = job(name);
        if (job.finished()) {
            throw new ValidationException("Transform job " + name + " has already ended (" + job.status() + ").");
        }
        if (job.status().equals("Stopping")) {
            return;
        }
        store.updateTransformJob(job.withStatus("Stopping", null, clock.instant()));
        Running run = running.get(name);
        if (run != null) {
            run.run().stop();
        }
        LOG.info("Transform job {} stopping", name);
    }

    /**
     * Picks up the jobs a previous server left unfinished: InProgress ones resume, Stopping ones
     * are Stopped.
     */
    public synchronized void restore() {
        for (StoredTransformJob job : store.transformJobs()) {
            if (job.status().equals("Stopping")) {
                store.updateTransformJob(job.withStatus("Stopped", null, clock.instant()));
            } else if (job.status().equals("InProgress")) {
                try {
                    TransformJobSpec spec = TransformJobSpec.read((ObjectNode) JSON.readTree(job.definition()));
                    PipelineDefinition model = model(control.model(spec.modelName()));
                    LOG.info("Transform job {} resumes after a restart", job.name());
                    start(job, spec, new InputFiles(objects).list(spec.input()), model, true);
                } catch (IOException | RuntimeException e) {
                    store.updateTransformJob(job.withStatus(
                            "Failed",
                            "The server restarted and the job could not resume: " + e.getMessage(),
                            clock.instant()));
                }
            }
        }
    }

    private void start(
            StoredTransformJob job,
            TransformJobSpec spec,
            List<InputFiles.InputFile> inputs,
            PipelineDefinition model,
            boolean resume) {
        SparkSettings cluster = onSpark(spec);
        TransformExecution run = cluster == null
                ? new TransformJobRun(
                        spec, inputs, model, registry, objects, scratch.resolve(spec.name()), startupTimeout, resume)
                : new SparkTransformRun(
                        new SparkJob(
                                spec.name(),
                                cluster.master(),
                                cluster.conf(),
                                job.definition(),
                                control.model(spec.modelName()).definition(),
                                SparkJob.inputs(inputs),
                                resume,
                                s3,
                                runtime,
                                startupTimeout.toSeconds()),
                        cluster,
                        new SparkJobFolder(scratch.resolve(spec.name()).resolve("spark")));
        StoredTransformJob started = job.startedAt() == null ? job.started(clock.instant()) : job;
        store.updateTransformJob(started);
        Thread thread = Thread.ofVirtual().name("transform-" + spec.name()).unstarted(() -> execute(spec.name(), run));
        running.put(spec.name(), new Running(run, thread));
        thread.start();
    }

    /**
     * The Spark cluster a job runs on, or null when it runs on this machine: by its Environment's
     * {@value #ENGINE_VARIABLE} ({@code local} or {@code spark}), else on Spark whenever this server
     * has a cluster.
     */
    private @Nullable SparkSettings onSpark(TransformJobSpec spec) {
        String engine = spec.environment().get(ENGINE_VARIABLE);
        if (engine == null) {
            return spark;
        }
        return switch (engine) {
            case "local" -> null;
            case "spark" -> {
                if (spark == null) {
                    throw new ValidationException("Environment " + ENGINE_VARIABLE + " is spark, but this server has"
                            + " no Spark cluster: start it with --spark-master.");
                }
                yield spark;
            }
            default ->
                throw new ValidationException(
                        "Environment " + ENGINE_VARIABLE + " must be local or spark, was '" + engine + "'.");
        };
    }

    private void execute(String name, TransformExecution run) {
        TransformExecution.Outcome outcome;
        try {
            outcome = run.run();
        } catch (RuntimeException e) {
            LOG.error("Transform job {} failed unexpectedly", name, e);
            outcome = new TransformExecution.Outcome.Failed("Tandem failed while running the job: " + e.getMessage());
        }
        synchronized (this) {
            running.remove(name);
            StoredTransformJob job = job(name);
            switch (outcome) {
                case TransformExecution.Outcome.Completed c -> finish(job, "Completed", null);
                case TransformExecution.Outcome.Failed failed -> finish(job, "Failed", failed.reason());
                case TransformExecution.Outcome.Stopped s -> finish(job, "Stopped", null);
                case TransformExecution.Outcome.Interrupted i ->
                    LOG.info("Transform job {} paused by shutdown; it resumes on the next start", name);
            }
        }
    }

    private void finish(StoredTransformJob job, String status, @Nullable String reason) {
        store.updateTransformJob(job.withStatus(status, reason == null ? null : truncate(reason), clock.instant()));
        if (reason == null) {
            LOG.info("Transform job {} {}", job.name(), status.toLowerCase(Locale.ROOT));
        } else {
            LOG.warn("Transform job {} failed: {}", job.name(), reason);
        }
    }

    private static String truncate(String reason) {
        return reason.length() <= 1024 ? reason : reason.substring(0, 1021) + "...";
    }

    private PipelineDefinition model(StoredModel stored) {
        return parser.parse(stored.definition().getBytes(StandardCharsets.UTF_8), Path.of("/"));
    }

    /** Pauses the running jobs (they stay InProgress and resume on the next start). */
    @Override
    public void close() {
        for (Running run : running.values()) {
            run.run().interrupt();
        }
        for (Running run : running.values()) {
            try {
                run.thread().join(Duration.ofSeconds(60));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return; // the server is going down regardless; jobs resume on the next start
            }
        }
    }
}
