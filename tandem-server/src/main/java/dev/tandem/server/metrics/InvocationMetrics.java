package dev.tandem.server.metrics;

import dev.tandem.core.engine.InvocationResult;
import dev.tandem.core.engine.StageTiming;
import dev.tandem.core.error.ErrorKind;
import dev.tandem.core.error.ModelErrorException;
import dev.tandem.core.error.TandemException;
import dev.tandem.core.runtime.ContainerStatus;
import dev.tandem.core.runtime.RunningContainer;
import dev.tandem.server.capture.DataCapture;
import dev.tandem.server.endpoint.Endpoint;
import dev.tandem.server.endpoint.Instance;
import dev.tandem.server.endpoint.Variant;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Tandem's metrics in Prometheus text format, served at {@code GET /metrics}.
 *
 * <p>Per endpoint and variant, SageMaker's endpoint metrics: {@code sagemaker_invocations_total},
 * {@code sagemaker_invocation_4xx_errors_total}, {@code sagemaker_invocation_5xx_errors_total},
 * {@code sagemaker_model_latency_seconds} (time inside containers) and {@code
 * sagemaker_overhead_latency_seconds} (the time Tandem adds). Per container: {@code
 * tandem_container_invocations_total}, {@code tandem_container_errors_total} (by status), {@code
 * tandem_container_latency_seconds}, {@code tandem_container_restarts} and {@code
 * tandem_container_healthy}. Per variant {@code tandem_variant_instances} and {@code
 * tandem_variant_healthy_instances}; per instance {@code tandem_instance_in_flight} and {@code
 * tandem_instance_max_in_flight}; per endpoint {@code tandem_endpoint_status} (1 for its current
 * status) and {@code tandem_invocations_throttled_total}, the requests refused at once because
 * what would serve them was at its bound. As in SageMaker, a container's 4xx or 5xx counts as the invocation's.
 */
public final class InvocationMetrics {
    private final PrometheusMeterRegistry registry =
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT, new PrometheusRegistry(), CoarseClock.INSTANCE);
    // Found on every request: nested maps keyed by the strings themselves, so that a lookup
    // allocates nothing (a List key was allocated and hashed per meter per request).
    private final ConcurrentMap<String, ConcurrentMap<String, VariantMeters>> variants = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, ConcurrentMap<String, ConcurrentMap<String, ContainerMeters>>> containers =
            new ConcurrentHashMap<>();
    private final ConcurrentMap<List<String>, Counter> containerErrors = new ConcurrentHashMap<>();
    private final ConcurrentMap<List<String>, StreamMeters> streams = new ConcurrentHashMap<>();
    private final MultiGauge instances = MultiGauge.builder("tandem.variant.instances")
            .description("Instances of a variant")
            .register(registry);
    private final MultiGauge healthyInstances = MultiGauge.builder("tandem.variant.healthy.instances")
            .description("Instances of a variant whose every container is healthy")
            .register(registry);
    private final MultiGauge restarts = MultiGauge.builder("tandem.container.restarts")
            .description("Times a container has been restarted since its instance started")
            .register(registry);
    private final MultiGauge healthy = MultiGauge.builder("tandem.container.healthy")
            .description("1 when a container answers /ping, else 0")
            .register(registry);
    private final ConcurrentMap<String, Counter> throttled = new ConcurrentHashMap<>();
    private final MultiGauge inFlight = MultiGauge.builder("tandem.instance.in.flight")
            .description("Requests an instance is serving now")
            .register(registry);
    private final MultiGauge maxInFlight = MultiGauge.builder("tandem.instance.max.in.flight")
            .description("Requests an instance takes at a time; past it requests are refused (ThrottlingException)")
            .register(registry);
    private final MultiGauge endpointStatus = MultiGauge.builder("tandem.endpoint.status")
            .description("1 for an endpoint's current status")
            .register(registry);
    private final Supplier<Collection<Endpoint>> endpoints;
    private final Supplier<List<EndpointState>> statuses;

    /**
     * Histogram buckets from 50 µs (an in-process stage) to 60 s (the invocation timeout). A fixed
     * set of 18 keeps recording cheap on the request path; Micrometer's generated percentile
     * histograms (~70 buckets per timer) cost a fifth of an in-process pipeline's throughput.
     */
    private static final Duration[] BUCKETS = Stream.of(
                    "PT0.00005S",
                    "PT0.0001S",
                    "PT0.00025S",
                    "PT0.0005S",
                    "PT0.001S",
                    "PT0.0025S",
                    "PT0.005S",
                    "PT0.01S",
                    "PT0.025S",
                    "PT0.05S",
                    "PT0.1S",
                    "PT0.25S",
                    "PT0.5S",
                    "PT1S",
                    "PT2.5S",
                    "PT5S",
                    "PT10S",
                    "PT60S")
            .map(Duration::parse)
            .toArray(Duration[]::new);

    /** An endpoint's name and status, as the control plane stores them. */
    public record EndpointState(String name, String status) {}

    private final boolean recording;
    private final AsyncMetrics async;

    /**
     * @param recording whether invocations are counted and timed; when not, only the gauges (read
     *     at scrape time) are served
     * @param clock the server's time, for the age of queued asynchronous requests
     */
    public InvocationMetrics(
            DataCapture capture,
            Supplier<Collection<Endpoint>> endpoints,
            Supplier<List<EndpointState>> statuses,
            boolean recording,
            java.time.Clock clock) {
        FunctionCounter.builder("tandem.data.capture.written", capture, DataCapture::written)
                .description("Captured invocations written")
                .register(registry);
        FunctionCounter.builder("tandem.data.capture.dropped", capture, DataCapture::dropped)
                .description("Captured invocations dropped because the capture queue was full or writing failed")
                .register(registry);
        this.endpoints = endpoints;
        this.statuses = statuses;
        this.recording = recording;
        this.async = new AsyncMetrics(registry, clock);
    }

    /** The metrics of asynchronous endpoints, served with these. */
    public AsyncMetrics async() {
        return async;
    }

    private record VariantMeters(
            Counter invocations, Counter clientErrors, Counter serverErrors, Timer modelLatency, Timer overhead) {}

    private record ContainerMeters(Counter invocations, Timer latency) {}

    /** Records an invocation that succeeded. */
    public void success(String endpoint, String variant, InvocationResult result, long totalNanos) {
        if (!recording) {
            return;
        }
        VariantMeters meters = variant(endpoint, variant);
        meters.invocations().increment();
        long model = 0;
        for (StageTiming timing : result.timings()) {
            model += timing.nanos();
            ContainerMeters container = container(endpoint, variant, timing.hostname());
            container.invocations().increment();
            container.latency().record(timing.nanos(), TimeUnit.NANOSECONDS);
        }
        meters.modelLatency().record(model, TimeUnit.NANOSECONDS);
        meters.overhead().record(Math.max(0, totalNanos - model), TimeUnit.NANOSECONDS);
    }

    /**
     * Records a streamed invocation that ended well: each stage's time (to its answer's head, for a
     * streaming stage), the time to the first part sent, and the whole stream's time. Its model and
     * overhead latencies are not recorded: a stream's time is the model's pace, not Tandem's.
     *
     * @param firstPartNanos -1 when the answer was empty
     */
    public void streamed(
            String endpoint, String variant, List<StageTiming> timings, long firstPartNanos, long totalNanos) {
        if (!recording) {
            return;
        }
        variant(endpoint, variant).invocations().increment();
        for (StageTiming timing : timings) {
            ContainerMeters container = container(endpoint, variant, timing.hostname());
            container.invocations().increment();
            container.latency().record(timing.nanos(), TimeUnit.NANOSECONDS);
        }
        StreamMeters meters = streams.computeIfAbsent(List.of(endpoint, variant), key -> {
            Tags tags = Tags.of("endpoint", endpoint, "variant", variant);
            return new StreamMeters(
                    latency(
                            "tandem.stream.first.part",
                            "Time from a streamed request's arrival to its first part sent (time to first byte)",
                            tags),
                    latency("tandem.stream.duration", "Time from a streamed request's arrival to its last part", tags));
        });
        if (firstPartNanos >= 0) {
            meters.firstPart().record(firstPartNanos, TimeUnit.NANOSECONDS);
        }
        meters.duration().record(totalNanos, TimeUnit.NANOSECONDS);
    }

    private record StreamMeters(Timer firstPart, Timer duration) {}

    /**
     * An instance a serverless variant started on demand: a cold start, with the time from its
     * launch to its first health (SageMaker's ModelSetupTime).
     */
    public void instanceStarted(String endpoint, String variant, Duration setupTime) {
        Tags tags = Tags.of("endpoint", endpoint, "variant", variant);
        Timer.builder("sagemaker.model.setup.time")
                .description("Time to launch an instance of a serverless variant, from start to healthy")
                .tags(tags)
                .publishPercentiles(0.5, 0.99)
                .register(registry)
                .record(setupTime);
        Counter.builder("tandem.serverless.cold.starts")
                .description("Instances serverless variants started on demand")
                .tags(tags)
                .register(registry)
                .increment();
    }

    /** Records a request refused at once because what would serve it was at its bound. */
    public void throttled(String endpoint) {
        throttled
                .computeIfAbsent(endpoint, name -> Counter.builder("tandem.invocations.throttled")
                        .description("Requests refused with ThrottlingException because what would serve them was full")
                        .tag("endpoint", name)
                        .register(registry))
                .increment();
    }

    /**
     * Records an invocation that failed on the variant that served it. In a serial pipeline the
     * containers before the failing one ran, and count as invoked.
     */
    public void failure(String endpoint, @Nullable String variant, List<String> containersInOrder, Throwable error) {
        int status = status(error);
        if (error instanceof TandemException known && known.kind() == ErrorKind.THROTTLING) {
            throttled(endpoint);
        }
        if (!recording || variant == null) {
            return;
        }
        VariantMeters meters = variant(endpoint, variant);
        meters.invocations().increment();
        (status < 500 ? meters.clientErrors() : meters.serverErrors()).increment();
        if (error instanceof ModelErrorException model) {
            for (String earlier : containersInOrder) {
                container(endpoint, variant, earlier).invocations().increment();
                if (earlier.equals(model.container())) {
                    break;
                }
            }
            String code = model.originalStatusCode() == null ? "timeout" : Integer.toString(model.originalStatusCode());
            containerErrors
                    .computeIfAbsent(List.of(endpoint, variant, model.container(), code), key -> Counter.builder(
                                    "tandem.container.errors")
                            .description("Container invocations that failed, by the status the container answered")
                            .tags(
                                    "endpoint",
                                    endpoint,
                                    "variant",
                                    variant,
                                    "container",
                                    model.container(),
                                    "status",
                                    code)
                            .register(registry))
                    .increment();
        }
    }

    /** The HTTP status class an error counts in: a container's own for a ModelError, as SageMaker counts. */
    private static int status(Throwable error) {
        if (error instanceof ModelErrorException model) {
            Integer original = model.originalStatusCode();
            return original != null && original >= 400 ? original : 500;
        }
        if (error instanceof TandemException known) {
            return known.kind() == ErrorKind.INTERNAL_FAILURE
                    ? 500
                    : known.kind().httpStatus();
        }
        return 500;
    }

    /** The Prometheus text exposition of every metric, gauges read now. */
    public String scrape() {
        List<MultiGauge.Row<?>> instanceRows = new ArrayList<>();
        List<MultiGauge.Row<?>> healthyRows = new ArrayList<>();
        List<MultiGauge.Row<?>> restartRows = new ArrayList<>();
        List<MultiGauge.Row<?>> healthRows = new ArrayList<>();
        List<MultiGauge.Row<?>> inFlightRows = new ArrayList<>();
        List<MultiGauge.Row<?>> maxInFlightRows = new ArrayList<>();
        for (Endpoint endpoint : endpoints.get()) {
            for (Variant variant : endpoint.variants()) {
                Tags tags = Tags.of("endpoint", endpoint.name(), "variant", variant.name());
                instanceRows.add(MultiGauge.Row.of(tags, variant.instances().size()));
                healthyRows.add(MultiGauge.Row.of(
                        tags,
                        variant.instances().stream().filter(Instance::isHealthy).count()));
                for (Instance instance : variant.instances()) {
                    Tags instanceTags = tags.and("instance", instance.id());
                    inFlightRows.add(MultiGauge.Row.of(instanceTags, instance.outstanding()));
                    maxInFlightRows.add(MultiGauge.Row.of(instanceTags, instance.maxInFlight()));
                    for (RunningContainer container : instance.containers()) {
                        ContainerStatus status = container.status();
                        Tags containerTags = tags.and("instance", instance.id(), "container", container.hostname());
                        restartRows.add(MultiGauge.Row.of(containerTags, status.restarts()));
                        healthRows.add(MultiGauge.Row.of(containerTags, status.isHealthy() ? 1 : 0));
                    }
                }
            }
        }
        instances.register(instanceRows, true);
        healthyInstances.register(healthyRows, true);
        restarts.register(restartRows, true);
        healthy.register(healthRows, true);
        inFlight.register(inFlightRows, true);
        maxInFlight.register(maxInFlightRows, true);
        List<MultiGauge.Row<?>> statusRows = new ArrayList<>();
        for (EndpointState state : statuses.get()) {
            statusRows.add(MultiGauge.Row.of(Tags.of("endpoint", state.name(), "status", state.status()), 1));
        }
        endpointStatus.register(statusRows, true);
        return registry.scrape();
    }

    private VariantMeters variant(String endpoint, String variant) {
        ConcurrentMap<String, VariantMeters> ofEndpoint = inner(variants, endpoint);
        VariantMeters found = ofEndpoint.get(variant);
        if (found != null) {
            return found;
        }
        return ofEndpoint.computeIfAbsent(variant, key -> {
            Tags tags = Tags.of("endpoint", endpoint, "variant", variant);
            return new VariantMeters(
                    Counter.builder("sagemaker.invocations")
                            .description("InvokeEndpoint requests sent to the variant (SageMaker's Invocations)")
                            .tags(tags)
                            .register(registry),
                    Counter.builder("sagemaker.invocation.4xx.errors")
                            .description("Invocations that ended in a 4xx (SageMaker's Invocation4XXErrors)")
                            .tags(tags)
                            .register(registry),
                    Counter.builder("sagemaker.invocation.5xx.errors")
                            .description("Invocations that ended in a 5xx (SageMaker's Invocation5XXErrors)")
                            .tags(tags)
                            .register(registry),
                    latency("sagemaker.model.latency", "Time inside the containers (SageMaker's ModelLatency)", tags),
                    latency("sagemaker.overhead.latency", "Time Tandem added (SageMaker's OverheadLatency)", tags));
        });
    }

    private ContainerMeters container(String endpoint, String variant, String container) {
        ConcurrentMap<String, ContainerMeters> ofVariant = inner(inner(containers, endpoint), variant);
        ContainerMeters found = ofVariant.get(container);
        if (found != null) {
            return found;
        }
        return ofVariant.computeIfAbsent(container, key -> {
            Tags tags = Tags.of("endpoint", endpoint, "variant", variant, "container", container);
            return new ContainerMeters(
                    Counter.builder("tandem.container.invocations")
                            .description("Invocations of one container")
                            .tags(tags)
                            .register(registry),
                    latency(
                            "tandem.container.latency",
                            "Time one container took (SageMaker's ContainerLatency)",
                            tags));
        });
    }

    /** The map under {@code key}, made on first use. */
    private static <V> ConcurrentMap<String, V> inner(
            ConcurrentMap<String, ConcurrentMap<String, V>> outer, String key) {
        ConcurrentMap<String, V> found = outer.get(key);
        return found != null ? found : outer.computeIfAbsent(key, made -> new ConcurrentHashMap<>());
    }

    private Timer latency(String name, String description, Tags tags) {
        return Timer.builder(name)
                .description(description)
                .tags(tags)
                .serviceLevelObjectives(BUCKETS)
                .register(registry);
    }
}
