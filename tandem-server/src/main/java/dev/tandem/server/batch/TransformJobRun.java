package dev.tandem.server.batch;

import dev.tandem.core.engine.Failures;
import dev.tandem.core.engine.InvocationResult;
import dev.tandem.core.engine.PipelineEngine;
import dev.tandem.core.error.ModelErrorException;
import dev.tandem.core.model.ContainerDefinition;
import dev.tandem.core.model.PipelineDefinition;
import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.runtime.storage.ObjectStore;
import dev.tandem.server.batch.TransformJobSpec.Strategy;
import dev.tandem.server.endpoint.EndpointRegistry;
import dev.tandem.server.endpoint.FleetStartup;
import dev.tandem.server.endpoint.Instance;
import dev.tandem.server.endpoint.Variant;
import dev.tandem.server.endpoint.VariantSpec;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPInputStream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One execution of a transform job: starts the model's containers ({@code InstanceCount}
 * instances, none of them an endpoint), streams every record of every input through them with at
 * most {@code MaxConcurrentTransforms} requests in flight per instance, writes each input's output
 * in input order, and stops the containers.
 *
 * <p>Memory stays flat whatever the input size: a file is read record by record, and only the
 * requests in flight (at most the concurrency times the payload limit) are held.
 */
final class TransformJobRun {
    private static final Logger LOG = LoggerFactory.getLogger(TransformJobRun.class);

    private final TransformJobSpec spec;
    private final List<InputFiles.InputFile> inputs;
    private final PipelineDefinition model;
    private final EndpointRegistry registry;
    private final ObjectStore objects;
    private final InputFiles inputFiles;
    private final Path scratch;
    private final Duration startupTimeout;
    private final boolean resume;
    private final TransformProgress progress = new TransformProgress();
    private final RecordShaper shaper;
    private final AtomicInteger nextInstance = new AtomicInteger();
    private volatile boolean stopRequested;
    private volatile boolean shuttingDown;

    /** How a run ended. */
    sealed interface Outcome {
        record Completed() implements Outcome {}

        record Failed(String reason) implements Outcome {}

        record Stopped() implements Outcome {}

        /** The server is shutting down: the job stays InProgress and resumes on the next start. */
        record Interrupted() implements Outcome {}
    }

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
        this.inputFiles = new InputFiles(objects);
        this.scratch = scratch;
        this.startupTimeout = startupTimeout;
        this.resume = resume;
        this.shaper = new RecordShaper(spec);
    }

    TransformProgress progress() {
        return progress;
    }

    void stop() {
        stopRequested = true;
        registry.statusChanges().signal();
    }

    void interrupt() {
        shuttingDown = true;
        registry.statusChanges().signal();
    }

    Outcome run() {
        progress.inputs(
                inputs.size(),
                inputs.stream().mapToLong(InputFiles.InputFile::size).sum());
        ExecutionParameters requested = ExecutionParameters.of(spec);
        List<Variant> fleet;
        try {
            fleet = registry.launch(
                    "transform-job-" + spec.name(),
                    List.of(new VariantSpec(
                            "AllTraffic", withBatchEnvironment(requested), spec.instanceCount(), 1.0, startupTimeout)));
        } catch (RuntimeException e) {
            return new Outcome.Failed("The model's containers could not start: " + e.getMessage());
        }
        try {
            Variant variant = fleet.get(0);
            String notReady = awaitHealthy(variant);
            if (notReady != null) {
                return stopping() ? stoppedOutcome() : new Outcome.Failed(notReady);
            }
            ExecutionParameters parameters = ExecutionParameters.resolve(
                    spec, variant.instances().get(0).containers().get(0).contractUrl());
            LOG.info(
                    "Transform job {}: {} input(s), {} instance(s), {} MB payloads, {} request(s) in flight per"
                            + " instance, {}",
                    spec.name(),
                    inputs.size(),
                    variant.instances().size(),
                    parameters.maxPayloadMb(),
                    parameters.maxConcurrent(),
                    parameters.strategy());
            long maxPayloadBytes = (long) parameters.maxPayloadMb() << 20;
            PipelineEngine engine = new PipelineEngine(Math.max(maxPayloadBytes, 6L << 20));
            Invoker invoker = new Invoker(engine, variant.instances());
            int window = parameters.maxConcurrent() * variant.instances().size();
            Strategy strategy = parameters.strategy();
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
                String failure = transform(input, invoker, maxPayloadBytes, window, strategy);
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
        } finally {
            registry.discard(fleet, Duration.ofSeconds(30));
        }
    }

    private boolean stopping() {
        return stopRequested || shuttingDown;
    }

    private Outcome stoppedOutcome() {
        return shuttingDown ? new Outcome.Interrupted() : new Outcome.Stopped();
    }

    /** The model with the job's Environment and SageMaker's batch variables in every container. */
    private PipelineDefinition withBatchEnvironment(ExecutionParameters parameters) {
        List<ContainerDefinition> containers = new ArrayList<>();
        for (ContainerDefinition container : model.containers()) {
            Map<String, String> environment = new LinkedHashMap<>(container.environment());
            environment.putAll(spec.environment());
            environment.put("SAGEMAKER_BATCH", "true");
            environment.put("SAGEMAKER_MAX_PAYLOAD_IN_MB", Integer.toString(parameters.maxPayloadMb()));
            environment.put("SAGEMAKER_BATCH_STRATEGY", parameters.strategy().name());
            environment.put("SAGEMAKER_MAX_CONCURRENT_TRANSFORMS", Integer.toString(parameters.maxConcurrent()));
            containers.add(new ContainerDefinition(
                    container.hostname(), container.image(), environment, container.modelData()));
        }
        return new PipelineDefinition(model.modelName(), model.mode(), containers);
    }

    private @Nullable String awaitHealthy(Variant variant) {
        String failure = FleetStartup.await(List.of(variant), startupTimeout, this::stopping, registry.statusChanges());
        return failure == null ? null : "The model's containers did not start: " + failure;
    }

    /** Transforms one input into its output file; answers why it failed, or null. */
    private @Nullable String transform(
            InputFiles.InputFile input, Invoker invoker, long maxPayload, int window, Strategy strategy) {
        Deque<Pending> inFlight = new ArrayDeque<>();
        try (InputStream in = open(input);
                OutputFile out = OutputFile.create(spec.output().location(), input.name(), objects, scratch)) {
            RecordReader reader = RecordReader.of(spec.input().split(), in, maxPayload);
            Batcher batcher = new Batcher(maxPayload, strategy);
            long position = 0;
            byte[] record;
            while ((record = reader.next()) != null) {
                if (stopping()) {
                    drainQuietly(inFlight);
                    return "stopped";
                }
                position++;
                Batch full = batcher.add(record, shaper.filterInput(record, position), position);
                if (full != null) {
                    submit(full, invoker, inFlight, out, window);
                }
            }
            Batch last = batcher.flush();
            if (last != null) {
                submit(last, invoker, inFlight, out, window);
            }
            while (!inFlight.isEmpty()) {
                write(inFlight.removeFirst(), out);
            }
            out.commit();
            return null;
        } catch (BatchFailure | RecordShaper.ShapingException | IOException | ObjectStore.StorageException e) {
            drainQuietly(inFlight);
            String reason =
                    "Input " + input.name() + (e instanceof BatchFailure failed ? ", record " + failed.position : "")
                            + ": " + e.getMessage()
                            + (e instanceof RecordReader.RecordTooLargeException
                                    ? "; raise MaxPayloadInMB or split the input."
                                    : "");
            LOG.warn("Transform job {}: {}", spec.name(), reason);
            return reason;
        }
    }

    private InputStream open(InputFiles.InputFile input) throws IOException {
        InputStream raw = new FilterInputStream(inputFiles.open(input)) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    progress.read(1);
                }
                return b;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                int n = super.read(buffer, offset, length);
                if (n > 0) {
                    progress.read(n);
                }
                return n;
            }
        };
        InputStream decoded = spec.input().gzip() ? new GZIPInputStream(raw, 1 << 16) : raw;
        return new BufferedInputStream(decoded, 1 << 16);
    }

    private void submit(Batch batch, Invoker invoker, Deque<Pending> inFlight, OutputFile out, int window)
            throws IOException {
        while (inFlight.size() >= window) {
            write(inFlight.removeFirst(), out);
        }
        inFlight.addLast(new Pending(batch, invoker.invoke(batch, requestFor(batch), 0)));
    }

    private StageRequest requestFor(Batch batch) {
        return new StageRequest(
                Payload.wrap(batch.body(spec.input().split())),
                spec.input().contentType(),
                spec.output().accept(),
                null);
    }

    private void write(Pending pending, OutputFile out) throws IOException {
        // Each attempt has its own timeout; this bounds them all, retries included.
        InvocationResult result = pending.await(
                spec.invocationTimeout(),
                spec.invocationTimeout().multipliedBy(spec.maxRetries() + 1L).plusSeconds(60));
        Batch batch = pending.batch;
        byte[] response = result.response().body().unsafeArray();
        if (shaper.passThrough()) {
            out.write(response);
            if (spec.output().assembleLines() && (response.length == 0 || response[response.length - 1] != '\n')) {
                out.newline();
            }
        } else {
            List<byte[]> outputs = RecordShaper.splitResponse(response, batch.size(), batch.firstPosition);
            for (int i = 0; i < outputs.size(); i++) {
                out.write(shaper.finish(
                        batch.originals.get(i),
                        outputs.get(i),
                        result.response().contentType(),
                        batch.firstPosition + i));
                if (spec.output().assembleLines() || outputs.size() > 1) {
                    out.newline();
                }
            }
        }
        progress.transformed(batch.size());
    }

    private static void drainQuietly(Deque<Pending> inFlight) {
        for (Pending pending : inFlight) {
            pending.result.cancel(false);
        }
        inFlight.clear();
    }

    /** Requests to the instances in turn, retried as {@code ModelClientConfig} allows. */
    private final class Invoker {
        private final PipelineEngine engine;
        private final List<Instance> instances;

        Invoker(PipelineEngine engine, List<Instance> instances) {
            this.engine = engine;
            this.instances = instances;
        }

        CompletableFuture<InvocationResult> invoke(Batch batch, StageRequest request, int attempt) {
            Instance instance = next();
            return engine.invoke(model.mode(), instance.stages(), request, null)
                    .orTimeout(spec.invocationTimeout().toMillis(), TimeUnit.MILLISECONDS)
                    .exceptionallyCompose(failure -> {
                        Throwable cause = Failures.unwrap(failure);
                        if (attempt < spec.maxRetries() && retryable(cause) && !stopping()) {
                            // Back off (0.5 s, 1 s, 2 s): a crashed container needs a moment to restart.
                            Executor later = CompletableFuture.delayedExecutor(500L << attempt, TimeUnit.MILLISECONDS);
                            return CompletableFuture.supplyAsync(() -> null, later)
                                    .thenCompose(ignored -> invoke(batch, request, attempt + 1));
                        }
                        return CompletableFuture.failedFuture(cause);
                    });
        }

        /** The next instance in turn, skipping unhealthy ones while a healthy one remains. */
        private Instance next() {
            for (int tried = 0; tried < instances.size(); tried++) {
                Instance candidate = instances.get(Math.floorMod(nextInstance.getAndIncrement(), instances.size()));
                if (candidate.isHealthy()) {
                    return candidate;
                }
            }
            return instances.get(Math.floorMod(nextInstance.getAndIncrement(), instances.size()));
        }

        /** A client error (4xx from a container) answers the same on every try. */
        private static boolean retryable(Throwable cause) {
            if (cause instanceof ModelErrorException error && error.originalStatusCode() != null) {
                int status = error.originalStatusCode();
                return status < 400 || status >= 500;
            }
            return true;
        }
    }

    /** A request on its way, with the batch it carries. */
    private record Pending(Batch batch, CompletableFuture<InvocationResult> result) {
        InvocationResult await(Duration timeout, Duration allAttempts) {
            try {
                return result.get(allAttempts.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                Throwable cause = Failures.unwrap(e);
                String message = cause instanceof TimeoutException
                        ? "the model did not answer within " + timeout.toSeconds() + " s"
                        : cause instanceof ModelErrorException error && error.originalMessage() != null
                                ? error.container() + " answered " + error.originalStatusCode() + ": "
                                        + error.originalMessage()
                                : String.valueOf(cause.getMessage());
                throw new BatchFailure(batch.firstPosition, message);
            } catch (TimeoutException e) {
                throw new BatchFailure(batch.firstPosition, "the model did not answer in time");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BatchFailure(batch.firstPosition, "interrupted");
            }
        }
    }

    /** A request that failed for good: its input file gets no output. */
    private static final class BatchFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final long position;

        BatchFailure(long position, String message) {
            super(message, null, false, false);
            this.position = position;
        }
    }

    /** Records sent in one request: their bodies for the model, and the originals for joining. */
    private static final class Batch {
        private final List<byte[]> originals = new ArrayList<>();
        private final List<byte[]> bodies = new ArrayList<>();
        private final long firstPosition;
        private long bytes;

        Batch(long firstPosition) {
            this.firstPosition = firstPosition;
        }

        int size() {
            return bodies.size();
        }

        void add(byte[] original, byte[] body) {
            originals.add(original);
            bodies.add(body);
            bytes += body.length + 1;
        }

        byte[] body(TransformJobSpec.Split split) {
            if (bodies.size() == 1) {
                return bodies.get(0);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream((int) bytes);
            for (byte[] body : bodies) {
                out.writeBytes(body);
                if (split == TransformJobSpec.Split.LINE) {
                    out.write('\n');
                }
            }
            return out.toByteArray();
        }
    }

    /** Packs records into requests: one each (SingleRecord), or as many as fit (MultiRecord). */
    private static final class Batcher {
        private final long maxPayload;
        private final Strategy strategy;
        private @Nullable Batch current;

        Batcher(long maxPayload, Strategy strategy) {
            this.maxPayload = maxPayload;
            this.strategy = strategy;
        }

        /** Adds a record; answers a batch that is ready to send, if adding it closed one. */
        @Nullable
        Batch add(byte[] original, byte[] body, long position) {
            if (strategy == Strategy.SINGLE_RECORD) {
                Batch single = new Batch(position);
                single.add(original, body);
                return single;
            }
            Batch ready = null;
            if (current != null && current.bytes + body.length + 1 > maxPayload) {
                ready = current;
                current = null;
            }
            if (current == null) {
                current = new Batch(position);
            }
            current.add(original, body);
            return ready;
        }

        @Nullable
        Batch flush() {
            Batch last = current;
            current = null;
            return last;
        }
    }
}
