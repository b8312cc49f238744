package dev.tandem.server.metrics;

import dev.tandem.server.async.AsyncQueue.Backlog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * The metrics SageMaker publishes for asynchronous endpoints, under its names, per endpoint: the
 * backlog gauges ({@code sagemaker_approximate_backlog_size}, {@code
 * sagemaker_approximate_backlog_size_per_instance}, {@code
 * sagemaker_approximate_age_of_oldest_request_seconds}, {@code
 * sagemaker_has_backlog_without_capacity}), the timers {@code sagemaker_time_in_backlog_seconds}
 * and {@code sagemaker_total_processing_time_seconds}, and the counters {@code
 * sagemaker_invocations_processed_total}, {@code sagemaker_expired_requests_total}, {@code
 * sagemaker_invocation_failures_total}, {@code sagemaker_notification_failures_total}, {@code
 * sagemaker_request_download_failures_total} and {@code sagemaker_response_upload_failures_total}.
 */
public final class AsyncMetrics {
    private final MeterRegistry registry;
    private final Clock clock;
    private final ConcurrentMap<String, EndpointMeters> endpoints = new ConcurrentHashMap<>();

    AsyncMetrics(MeterRegistry registry, Clock clock) {
        this.registry = registry;
        this.clock = clock;
    }

    private record EndpointMeters(
            List<Meter> gauges,
            Counter processed,
            Counter expired,
            Counter invocationFailures,
            Counter notificationFailures,
            Counter downloadFailures,
            Counter uploadFailures,
            Timer timeInBacklog,
            Timer totalProcessingTime) {}

    /**
     * Publishes the backlog gauges of {@code endpoint}, read at scrape time.
     *
     * @param backlog the endpoint's backlog now
     * @param instances how many of its instances are healthy now
     */
    public void track(String endpoint, Supplier<Backlog> backlog, IntSupplier instances) {
        endpoints.computeIfAbsent(endpoint, name -> {
            List<Meter> gauges = new ArrayList<>();
            gauges.add(Gauge.builder("sagemaker.approximate.backlog.size", () -> backlog.get()
                            .size())
                    .description("Requests queued or being processed (SageMaker's ApproximateBacklogSize)")
                    .tag("endpoint", name)
                    .register(registry));
            gauges.add(Gauge.builder("sagemaker.approximate.backlog.size.per.instance", () -> {
                        int count = instances.getAsInt();
                        return (double) backlog.get().size() / Math.max(1, count);
                    })
                    .description("The backlog divided by the instances (SageMaker's ApproximateBacklogSizePerInstance)")
                    .tag("endpoint", name)
                    .register(registry));
            gauges.add(Gauge.builder("sagemaker.approximate.age.of.oldest.request.seconds", () -> {
                        var oldest = backlog.get().oldestReceivedAt();
                        return oldest == null
                                ? 0.0
                                : Math.max(
                                        0,
                                        Duration.between(oldest, clock.instant())
                                                        .toMillis()
                                                / 1000.0);
                    })
                    .description("Age of the oldest request in the backlog (SageMaker's ApproximateAgeOfOldestRequest)")
                    .tag("endpoint", name)
                    .register(registry));
            gauges.add(Gauge.builder(
                            "sagemaker.has.backlog.without.capacity",
                            () -> backlog.get().queued() > 0 && instances.getAsInt() == 0 ? 1 : 0)
                    .description("1 while requests wait and no instance can take them"
                            + " (SageMaker's HasBacklogWithoutCapacity)")
                    .tag("endpoint", name)
                    .register(registry));
            return new EndpointMeters(
                    gauges,
                    counter("sagemaker.invocations.processed", "Asynchronous requests processed", name),
                    counter("sagemaker.expired.requests", "Requests whose RequestTTLSeconds passed in the queue", name),
                    counter("sagemaker.invocation.failures", "Asynchronous requests that failed", name),
                    counter("sagemaker.notification.failures", "Notifications not delivered", name),
                    counter("sagemaker.request.download.failures", "Inputs that could not be read", name),
                    counter("sagemaker.response.upload.failures", "Results that could not be written", name),
                    timer("sagemaker.time.in.backlog", "Time requests waited in the queue", name),
                    timer(
                            "sagemaker.total.processing.time",
                            "Time from arrival to the result written, queue included",
                            name));
        });
    }

    /** Stops publishing {@code endpoint}'s metrics. */
    public void untrack(String endpoint) {
        EndpointMeters meters = endpoints.remove(endpoint);
        if (meters != null) {
            meters.gauges().forEach(registry::remove);
            for (Meter meter : List.of(
                    meters.processed(),
                    meters.expired(),
                    meters.invocationFailures(),
                    meters.notificationFailures(),
                    meters.downloadFailures(),
                    meters.uploadFailures(),
                    meters.timeInBacklog(),
                    meters.totalProcessingTime())) {
                registry.remove(meter);
            }
        }
    }

    public void started(String endpoint, Duration waited) {
        with(endpoint, m -> m.timeInBacklog().record(waited));
    }

    public void completed(String endpoint, Duration total) {
        with(endpoint, m -> {
            m.processed().increment();
            m.totalProcessingTime().record(total);
        });
    }

    public void failed(String endpoint, Duration total) {
        with(endpoint, m -> {
            m.processed().increment();
            m.invocationFailures().increment();
            m.totalProcessingTime().record(total);
        });
    }

    public void expired(String endpoint) {
        with(endpoint, m -> m.expired().increment());
    }

    public void notificationFailed(String endpoint) {
        with(endpoint, m -> m.notificationFailures().increment());
    }

    public void downloadFailed(String endpoint) {
        with(endpoint, m -> m.downloadFailures().increment());
    }

    public void uploadFailed(String endpoint) {
        with(endpoint, m -> m.uploadFailures().increment());
    }

    private void with(String endpoint, java.util.function.Consumer<EndpointMeters> action) {
        EndpointMeters meters = endpoints.get(endpoint);
        if (meters != null) {
            action.accept(meters);
        }
    }

    private Counter counter(String name, String description, String endpoint) {
        return Counter.builder(name)
                .description(description)
                .tag("endpoint", endpoint)
                .register(registry);
    }

    private Timer timer(String name, String description, String endpoint) {
        return Timer.builder(name)
                .description(description)
                .tag("endpoint", endpoint)
                .serviceLevelObjectives(
                        Duration.ofMillis(10),
                        Duration.ofMillis(100),
                        Duration.ofSeconds(1),
                        Duration.ofSeconds(10),
                        Duration.ofMinutes(1),
                        Duration.ofMinutes(10),
                        Duration.ofHours(1))
                .register(registry);
    }
}
