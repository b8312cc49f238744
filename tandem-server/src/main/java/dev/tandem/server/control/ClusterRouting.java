package dev.tandem.server.control;

import dev.tandem.core.model.PipelineDefinition;
import dev.tandem.core.model.PipelineParser;
import dev.tandem.server.capture.CaptureSettings;
import dev.tandem.server.capture.DataCapture;
import dev.tandem.server.cluster.Cluster;
import dev.tandem.server.endpoint.Endpoint;
import dev.tandem.server.endpoint.EndpointRegistry;
import dev.tandem.server.endpoint.EndpointRegistry.RoutedVariant;
import dev.tandem.server.endpoint.InstanceAddress;
import dev.tandem.server.endpoint.RemoteInstance;
import dev.tandem.server.endpoint.VariantSpec;
import dev.tandem.server.store.StoredEndpoint;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gateway's routes into the cluster it serves: every endpoint of the shared store is an endpoint
 * of this server's {@link EndpointRegistry}, with the variants and weights its deployment names and,
 * as instances, those the cluster reports ready. So an invocation is admitted, balanced (least
 * outstanding requests), bounded, measured and answered exactly as on one machine; only the
 * pipeline runs in the instance's process instead of this one.
 *
 * <p>Every change the cluster reports — an endpoint written by any gateway, an instance ready or
 * gone — brings the routes up to date on one thread of their own, changes that arrive meanwhile
 * folded into one pass; a pass every few seconds as well makes up for a change that was missed.
 */
public final class ClusterRouting implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterRouting.class);
    private static final Duration RESYNC = Duration.ofSeconds(5);

    private final Cluster cluster;
    private final EndpointRegistry registry;
    private final DataCapture capture;
    private final BiFunction<InstanceAddress, PipelineDefinition, RemoteInstance> connect;
    private final PipelineParser parser = new PipelineParser();
    /** The data capture settings applied to each endpoint, as stored. */
    private final Map<String, String> captureApplied = new HashMap<>();

    private final ExecutorService worker = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("cluster-routes").daemon(true).factory());
    private final AtomicBoolean pending = new AtomicBoolean();
    private final ScheduledFuture<?> resync;

    /** @param connect makes the client of an instance of a model, the first time it is ready */
    public ClusterRouting(
            Cluster cluster,
            EndpointRegistry registry,
            DataCapture capture,
            BiFunction<InstanceAddress, PipelineDefinition, RemoteInstance> connect,
            ScheduledExecutorService timers) {
        this.cluster = cluster;
        this.registry = registry;
        this.capture = capture;
        this.connect = connect;
        cluster.onChange(this::changed);
        this.resync = timers.scheduleWithFixedDelay(
                this::changed, RESYNC.toMillis(), RESYNC.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Brings the routes up to date now, before the first request; then they follow the cluster. */
    public void start() {
        refresh();
    }

    /** Notes a change; the worker takes it, with any that come before it gets to it. */
    private void changed() {
        if (pending.compareAndSet(false, true)) {
            worker.execute(() -> {
                pending.set(false);
                refresh();
            });
        }
    }

    private synchronized void refresh() {
        Set<String> routed = new HashSet<>();
        for (StoredEndpoint endpoint : cluster.store().endpoints()) {
            if (endpoint.status().equals(EndpointStatus.Deleting.name())) {
                continue;
            }
            routed.add(endpoint.name());
            try {
                route(endpoint);
            } catch (RuntimeException e) {
                // One endpoint's bad state must not keep the others from their routes.
                LOG.warn("Cannot route endpoint {}: {}", endpoint.name(), e.toString());
            }
        }
        for (Endpoint live : List.copyOf(registry.all())) {
            if (!routed.contains(live.name())) {
                // Deleted: no new request finds it; those in flight finish on their instances.
                registry.remove(live.name(), Duration.ZERO);
                capture.configure(live.name(), null);
                captureApplied.remove(live.name());
                LOG.info("Endpoint {} no longer routed", live.name());
            }
        }
    }

    private void route(StoredEndpoint endpoint) {
        Deployment deployment = Deployment.fromJson(endpoint.deployment());
        // Paths in a model name files inside the instances' image; nothing here resolves them.
        List<RoutedVariant> variants = deployment.toSpecs(parser, Path.of("/")).stream()
                .map(spec -> routed(endpoint.name(), spec))
                .toList();
        registry.route(endpoint.name(), variants, connect);
        String captureConfig = Objects.toString(deployment.dataCapture(), "");
        if (!captureConfig.equals(captureApplied.get(endpoint.name()))) {
            capture.configure(endpoint.name(), CaptureSettings.of(deployment.dataCapture()));
            captureApplied.put(endpoint.name(), captureConfig);
        }
    }

    private RoutedVariant routed(String endpoint, VariantSpec spec) {
        return new RoutedVariant(
                spec.name(), spec.model(), spec.weight(), cluster.readyInstances(endpoint, spec.name()));
    }

    @Override
    public void close() {
        resync.cancel(false);
        worker.shutdownNow();
    }
}
