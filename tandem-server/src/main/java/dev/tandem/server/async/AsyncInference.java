package dev.tandem.server.async;

import dev.tandem.core.engine.PipelineEngine;
import dev.tandem.core.error.ValidationException;
import dev.tandem.core.stage.Payload;
import dev.tandem.runtime.storage.Location;
import dev.tandem.runtime.storage.Locations;
import dev.tandem.server.async.AsyncInvocation.Outcome;
import dev.tandem.server.async.AsyncQueue.Backlog;
import dev.tandem.server.endpoint.Endpoint;
import dev.tandem.server.endpoint.EndpointRegistry;
import dev.tandem.server.metrics.AsyncMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asynchronous inference on the endpoints whose configuration has an {@code AsyncInferenceConfig}:
 * accepts requests into the durable {@link AsyncQueue}, and runs them on the endpoint's own
 * instances, at most {@code MaxConcurrentInvocationsPerInstance} at a time on each, oldest first.
 * Every accepted request ends in exactly one object — its answer under the output path, or its
 * failure under the failure path — and a notification.
 *
 * <p>One dispatcher thread starts requests whenever an instance has room; each runs on a virtual
 * thread of its own. A request cut off by a crashed container is queued again, up to {@code
 * maxAttempts} attempts; one cut off by a server that stopped is found in progress when the server
 * starts again and runs again — unless its object was already written, which then stands.
 */
public final class AsyncInference implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AsyncInference.class);
    /** SageMaker's limit for an asynchronous payload, also between two containers: 1 GB. */
    public static final long MAX_PAYLOAD = AsyncInvocation.MAX_PAYLOAD;
    /** How often the dispatcher looks for expired requests and new capacity without being woken. */
    private static final Duration TICK = Duration.ofMillis(200);
    /** The most requests started in one claim from the queue. */
    private static final int MAX_CLAIM = 64;
    /** How long finished requests stay visible to the status API. */
    private static final Duration RETENTION = Duration.ofDays(1);
    /** How long requests still running at shutdown get to finish before they are cut off. */
    private static final Duration STOP_GRACE = Duration.ofSeconds(2);
    /** Attempts at writing a result before the request is failed. */
    private static final int PUBLISH_ATTEMPTS = 3;

    private final AsyncQueue queue;
    private final EndpointRegistry registry;
    private final Locations locations;
    private final Notifications notifications;
    private final AsyncMetrics metrics;
    private final Clock clock;
    private final Path workDir;
    private final AsyncInvocation invocation;
    private final int maxAttempts;
    private final ConcurrentMap<String, AsyncSettings> endpoints = new ConcurrentHashMap<>();
    private final Set<Thread> running = ConcurrentHashMap.newKeySet();
    private final Semaphore wake = new Semaphore(0);
    private final Thread dispatcher;
    private volatile boolean closed;
    private Instant lastPurge = Instant.EPOCH;
    /** When the dispatcher last looked for expired requests; it starts requests on every wake-up. */
    private long lastTick = System.nanoTime() - TICK.toNanos();

    /**
     * @param engine runs the pipelines, with the asynchronous payload limit between stages
     * @param workDir where inputs and large answers are spooled while a request runs
     * @param maxAttempts how many times a request is started before a crashing instance fails it
     */
    public AsyncInference(
            AsyncQueue queue,
            EndpointRegistry registry,
            Locations locations,
            Notifications notifications,
            AsyncMetrics metrics,
            Clock clock,
            Path workDir,
            PipelineEngine engine,
            int maxAttempts) {
        this.queue = queue;
        this.registry = registry;
        this.locations = locations;
        this.notifications = notifications;
        this.metrics = metrics;
        this.clock = clock;
        this.workDir = workDir;
        this.invocation = new AsyncInvocation(engine, locations);
        this.maxAttempts = maxAttempts;
        this.dispatcher = Thread.ofVirtual().name("async-dispatcher").unstarted(this::dispatch);
    }

    /**
     * Starts dispatching. Requests a previous server left in progress go back to the queue first;
     * they run again once their endpoint is back.
     */
    public void start() {
        deleteRecursively(workDir);
        List<QueuedRequest> cutOff = queue.inProgress();
        for (QueuedRequest request : cutOff) {
            queue.requeue(request.id());
        }
        if (!cutOff.isEmpty()) {
            LOG.warn(
                    "{} asynchronous request(s) were in progress when the server stopped; queued again", cutOff.size());
        }
        dispatcher.start();
    }

    /** Makes {@code endpoint} asynchronous with {@code settings}, or real-time again when null. */
    public void configure(String endpoint, @Nullable AsyncSettings settings) {
        if (settings == null) {
            endpoints.remove(endpoint);
            metrics.untrack(endpoint);
            return;
        }
        endpoints.put(endpoint, settings);
        metrics.track(endpoint, () -> queue.backlog(endpoint), () -> healthyInstances(endpoint));
        wake.release();
    }

    /**
     * Takes {@code endpoint} out of asynchronous inference for good (it was deleted, or could not
     * start): its queued requests fail, each with its failure object and notification.
     */
    public void forget(String endpoint, String why) {
        AsyncSettings settings = endpoints.remove(endpoint);
        if (settings != null) {
            for (QueuedRequest request : queue.queued(endpoint)) {
                fail(request.request(), settings, "ClientError: Endpoint " + endpoint + " " + why + ".", null);
            }
            metrics.untrack(endpoint);
        }
    }

    public boolean isAsync(String endpoint) {
        return endpoints.containsKey(endpoint);
    }

    /** Sends the test notification to {@code settings}' topics, as SageMaker does on create and update. */
    public void testNotification(String endpoint, AsyncSettings settings) {
        notifications.test(endpoint, settings);
    }

    /**
     * InvokeEndpointAsync: checks the request and queues it; returns once it is durably queued.
     *
     * @throws ValidationException when the endpoint is not asynchronous or the request is invalid
     */
    public AsyncRequest submit(String endpoint, UnaryOperator<@Nullable String> headers, Payload body) {
        AsyncSettings settings = endpoints.get(endpoint);
        if (settings == null) {
            throw new ValidationException("Endpoint " + endpoint + " is not an asynchronous endpoint: its"
                    + " configuration has no AsyncInferenceConfig. Invoke it with InvokeEndpoint.");
        }
        AsyncRequest request = AsyncRequestReader.read(endpoint, headers, body, settings, clock.instant());
        queue.enqueue(request);
        wake.release();
        return request;
    }

    public Optional<QueuedRequest> find(String endpoint, String inferenceId) {
        return queue.find(endpoint, inferenceId);
    }

    public Backlog backlog(String endpoint) {
        return queue.backlog(endpoint);
    }

    /** The asynchronous endpoints' names. */
    public Set<String> endpoints() {
        return Set.copyOf(endpoints.keySet());
    }

    private int healthyInstances(String endpoint) {
        return registry.find(endpoint).map(Endpoint::healthyInstances).orElse(0);
    }

    // --- Dispatching ----------------------------------------------------------------------------

    private void dispatch() {
        while (!closed) {
            try {
                boolean tick = System.nanoTime() - lastTick >= TICK.toNanos();
                for (Map.Entry<String, AsyncSettings> entry : endpoints.entrySet()) {
                    if (tick) {
                        expire(entry.getKey(), entry.getValue());
                    }
                    startWhatFits(entry.getKey(), entry.getValue());
                }
                if (tick) {
                    lastTick = System.nanoTime();
                    purge();
                }
            } catch (RuntimeException e) {
                if (!closed) {
                    LOG.error("Asynchronous dispatch failed; trying again", e);
                }
            }
            try {
                if (wake.tryAcquire(TICK.toMillis(), TimeUnit.MILLISECONDS)) {
                    wake.drainPermits();
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void expire(String endpoint, AsyncSettings settings) {
        Instant now = clock.instant();
        for (QueuedRequest expired : queue.expired(endpoint, now)) {
            AsyncRequest request = expired.request();
            metrics.expired(endpoint);
            fail(
                    request,
                    settings,
                    "ClientError: Request expired: it waited "
                            + Duration.between(request.receivedAt(), now).toSeconds()
                            + " s in the queue, past its RequestTTLSeconds ("
                            + request.ttl().toSeconds() + " s).",
                    null);
        }
    }

    private void startWhatFits(String endpoint, AsyncSettings settings) {
        Endpoint live = registry.find(endpoint).orElse(null);
        if (live == null || closed) {
            return;
        }
        List<Endpoint.Lease> leases = new ArrayList<>();
        while (leases.size() < MAX_CLAIM) {
            Endpoint.Lease lease = live.acquireBelow(settings.maxConcurrentPerInstance());
            if (lease == null) {
                break;
            }
            leases.add(lease);
        }
        if (leases.isEmpty()) {
            return;
        }
        List<QueuedRequest> claimed = queue.claim(endpoint, leases.size(), clock.instant());
        for (int i = 0; i < leases.size(); i++) {
            Endpoint.Lease lease = leases.get(i);
            if (i >= claimed.size()) {
                lease.release();
                continue;
            }
            QueuedRequest request = claimed.get(i);
            Thread worker = Thread.ofVirtual()
                    .name("async-" + endpoint + "-" + request.id())
                    .unstarted(() -> process(request, lease, settings));
            running.add(worker);
            worker.start();
        }
    }

    private void purge() {
        Instant now = clock.instant();
        if (Duration.between(lastPurge, now).compareTo(Duration.ofMinutes(10)) >= 0) {
            lastPurge = now;
            queue.purgeFinished(now.minus(RETENTION));
        }
    }

    // --- Running one request --------------------------------------------------------------------

    private void process(QueuedRequest claimed, Endpoint.Lease lease, AsyncSettings settings) {
        AsyncRequest request = claimed.request();
        Path dir = workDir.resolve(request.id());
        try {
            if (claimed.attempts() > 1 && alreadyEnded(request)) {
                return;
            }
            metrics.started(request.endpoint(), Duration.between(request.receivedAt(), clock.instant()));
            Files.createDirectories(dir);
            Outcome outcome = invocation.run(request, lease, dir);
            switch (outcome) {
                case Outcome.Answered answered -> complete(request, settings, answered);
                case Outcome.Failed failed -> {
                    if (failed.inputUnavailable()) {
                        metrics.downloadFailed(request.endpoint());
                    }
                    fail(request, settings, failed.reason(), failed.errorAnswer());
                }
                case Outcome.Retry retry -> retry(claimed, settings, retry.reason());
            }
        } catch (IOException | RuntimeException e) {
            if (closed) {
                return; // still in progress in the queue: it runs again when the server starts again
            }
            LOG.error("Asynchronous request {} of {} failed in Tandem", request.inferenceId(), request.endpoint(), e);
            fail(request, settings, "InternalFailure: " + e.getMessage(), null);
        } finally {
            lease.release();
            deleteRecursively(dir);
            running.remove(Thread.currentThread());
            wake.release();
        }
    }

    /**
     * Whether an earlier attempt, cut off by a restart, already wrote this request's object; if so
     * the request ends as that object says.
     */
    private boolean alreadyEnded(AsyncRequest request) {
        if (locations.exists(request.outputLocation())) {
            queue.finish(request.id(), AsyncStatus.COMPLETED, clock.instant(), null);
            LOG.info("Asynchronous request {} had completed before the restart", request.inferenceId());
            return true;
        }
        if (locations.exists(request.failureLocation())) {
            queue.finish(request.id(), AsyncStatus.FAILED, clock.instant(), "failed before the server restarted");
            return true;
        }
        return false;
    }

    private void complete(AsyncRequest request, AsyncSettings settings, Outcome.Answered answer) {
        try {
            publish(request.outputLocation(), answer.body(), answer.contentType());
        } catch (RuntimeException e) {
            if (closed) {
                return; // cut off by the stop: still in progress in the queue, it runs again on restart
            }
            metrics.uploadFailed(request.endpoint());
            fail(
                    request,
                    settings,
                    "InternalFailure: Could not write the result to " + request.outputLocation() + ": "
                            + e.getMessage(),
                    null);
            return;
        }
        if (closed) {
            return; // the result stands; the restarted server finds it and finishes the request
        }
        queue.finish(request.id(), AsyncStatus.COMPLETED, clock.instant(), null);
        metrics.completed(request.endpoint(), Duration.between(request.receivedAt(), clock.instant()));
        notifications.completed(request, settings, answer.contentType(), answer.body());
    }

    private void retry(QueuedRequest claimed, AsyncSettings settings, String reason) {
        if (closed) {
            return;
        }
        if (claimed.attempts() >= maxAttempts) {
            fail(
                    claimed.request(),
                    settings,
                    "ClientError: The request failed " + claimed.attempts() + " times on instances that stopped"
                            + " answering; the last time: " + reason,
                    null);
            return;
        }
        LOG.warn(
                "Asynchronous request {} of {}: attempt {} cut off ({}); queued again",
                claimed.request().inferenceId(),
                claimed.request().endpoint(),
                claimed.attempts(),
                reason);
        queue.requeue(claimed.id());
    }

    /** Writes the failure object, ends the request Failed and tells the error topic. */
    private void fail(AsyncRequest request, AsyncSettings settings, String reason, @Nullable Payload errorAnswer) {
        Payload content = errorAnswer != null ? errorAnswer : Payload.utf8(reason);
        try {
            publish(request.failureLocation(), content, "text/plain");
        } catch (RuntimeException e) {
            metrics.uploadFailed(request.endpoint());
            LOG.error(
                    "Asynchronous request {} of {} failed ({}) and its failure could not be written to {}: {}",
                    request.inferenceId(),
                    request.endpoint(),
                    reason,
                    request.failureLocation(),
                    e.getMessage());
        }
        queue.finish(request.id(), AsyncStatus.FAILED, clock.instant(), reason);
        metrics.failed(request.endpoint(), Duration.between(request.receivedAt(), clock.instant()));
        notifications.failed(request, settings, reason, errorAnswer);
    }

    private void publish(Location location, Payload body, @Nullable String contentType) {
        RuntimeException last = null;
        for (int attempt = 1; attempt <= PUBLISH_ATTEMPTS; attempt++) {
            try {
                locations.publish(location, body, contentType);
                return;
            } catch (RuntimeException e) {
                last = e;
                if (attempt < PUBLISH_ATTEMPTS) {
                    try {
                        Thread.sleep(250L << attempt);
                    } catch (InterruptedException interrupted) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
        }
        throw java.util.Objects.requireNonNull(last);
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clear " + dir, e);
        }
    }

    /**
     * Stops starting requests, gives those running a moment to finish, then interrupts them: they
     * stay in progress in the queue and run again when a server starts on the same data dir.
     */
    @Override
    public void close() {
        closed = true;
        wake.release();
        try {
            dispatcher.join(5_000);
            long deadline = System.nanoTime() + STOP_GRACE.toNanos();
            for (Thread worker : List.copyOf(running)) {
                long left = deadline - System.nanoTime();
                if (left > 0) {
                    worker.join(Duration.ofNanos(left));
                }
            }
            running.forEach(Thread::interrupt);
            for (Thread worker : List.copyOf(running)) {
                worker.join(5_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
