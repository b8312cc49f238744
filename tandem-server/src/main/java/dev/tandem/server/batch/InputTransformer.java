package dev.tandem.server.batch;

import dev.tandem.core.engine.Failures;
import dev.tandem.core.engine.InvocationResult;
import dev.tandem.core.engine.PipelineEngine;
import dev.tandem.core.error.ModelErrorException;
import dev.tandem.core.model.ExecutionMode;
import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.runtime.storage.ObjectStore;
import dev.tandem.server.batch.TransformJobSpec.Strategy;
import dev.tandem.server.endpoint.Instance;
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
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.zip.GZIPInputStream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Transforms input files, one at a time per call, through a model's running instances: reads an
 * input record by record, packs records into requests by the job's strategy, keeps at most {@code
 * MaxConcurrentTransforms} requests in flight per instance (retried as {@code ModelClientConfig}
 * allows), shapes each answer with the job's filters and join, and writes the output in input
 * order, published only when the whole input succeeded. Memory stays flat whatever the input's
 * size: only the requests in flight are held.
 *
 * <p>The same code transforms an input on one machine ({@link TransformJobRun}) and inside a Spark
 * executor.
 */
public final class InputTransformer {
    private static final Logger LOG = LoggerFactory.getLogger(InputTransformer.class);

    private final TransformJobSpec spec;
    private final ExecutionMode mode;
    private final ExecutionParameters parameters;
    private final Invoker invoker;
    private final int window;
    private final long maxPayloadBytes;
    private final ObjectStore objects;
    private final InputFiles inputFiles;
    private final Path scratch;
    private final TransformProgress progress;
    private final BooleanSupplier stopping;
    private final RecordShaper shaper;

    /**
     * @param instances the model's running instances, with the job's batch environment
     * @param scratch where partial outputs bound for an object store are written first
     * @param stopping whether the job is being stopped: the input in hand is cut off
     */
    public InputTransformer(
            TransformJobSpec spec,
            ExecutionMode mode,
            ExecutionParameters parameters,
            List<Instance> instances,
            ObjectStore objects,
            Path scratch,
            TransformProgress progress,
            BooleanSupplier stopping) {
        this.spec = spec;
        this.mode = mode;
        this.parameters = parameters;
        this.maxPayloadBytes = (long) parameters.maxPayloadMb() << 20;
        this.invoker = new Invoker(new PipelineEngine(Math.max(maxPayloadBytes, 6L << 20)), List.copyOf(instances));
        this.window = parameters.maxConcurrent() * instances.size();
        this.objects = objects;
        this.inputFiles = new InputFiles(objects);
        this.scratch = scratch;
        this.progress = progress;
        this.stopping = stopping;
        this.shaper = new RecordShaper(spec);
    }

    /** Whether {@code input}'s output is already in place (a resumed job skips it). */
    public static boolean outputExists(TransformJobSpec spec, InputFiles.InputFile input, ObjectStore objects) {
        return OutputFile.exists(OutputFile.target(spec.output().location(), input.name()), objects);
    }

    /**
     * Transforms one input into its output file; answers why it failed, or null. An input cut off
     * by {@code stopping} answers "stopped" and leaves no output.
     */
    public @Nullable String transform(InputFiles.InputFile input) {
        Deque<Pending> inFlight = new ArrayDeque<>();
        try (InputStream in = open(input);
                OutputFile out = OutputFile.create(spec.output().location(), input.name(), objects, scratch)) {
            RecordReader reader = RecordReader.of(spec.input().split(), in, maxPayloadBytes);
            Batcher batcher = new Batcher(maxPayloadBytes, parameters.strategy());
            long position = 0;
            byte[] record;
            while ((record = reader.next()) != null) {
                if (stopping.getAsBoolean()) {
                    drainQuietly(inFlight);
                    return "stopped";
                }
                position++;
                Batch full = batcher.add(record, shaper.filterInput(record, position), position);
                if (full != null) {
                    submit(full, inFlight, out);
                }
            }
            Batch last = batcher.flush();
            if (last != null) {
                submit(last, inFlight, out);
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

    private void submit(Batch batch, Deque<Pending> inFlight, OutputFile out) throws IOException {
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
        private final AtomicInteger nextInstance = new AtomicInteger();

        Invoker(PipelineEngine engine, List<Instance> instances) {
            this.engine = engine;
            this.instances = instances;
        }

        CompletableFuture<InvocationResult> invoke(Batch batch, StageRequest request, int attempt) {
            Instance instance = next();
            return engine.invoke(mode, instance.stages(), request, null)
                    .orTimeout(spec.invocationTimeout().toMillis(), TimeUnit.MILLISECONDS)
                    .exceptionallyCompose(failure -> {
                        Throwable cause = Failures.unwrap(failure);
                        if (attempt < spec.maxRetries() && retryable(cause) && !stopping.getAsBoolean()) {
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
