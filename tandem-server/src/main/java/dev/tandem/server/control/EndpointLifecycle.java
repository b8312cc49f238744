package dev.tandem.server.control;

import dev.tandem.core.model.PipelineDefinition;
import dev.tandem.core.model.PipelineParser;
import dev.tandem.server.async.AsyncInference;
import dev.tandem.server.async.AsyncSettings;
import dev.tandem.server.capture.CaptureSettings;
import dev.tandem.server.capture.DataCapture;
import dev.tandem.server.control.Deployment.VariantDeployment;
import dev.tandem.server.endpoint.Endpoint;
import dev.tandem.server.endpoint.EndpointRegistry;
import dev.tandem.server.endpoint.FleetStartup;
import dev.tandem.server.endpoint.Instance;
import dev.tandem.server.endpoint.Variant;
import dev.tandem.server.store.StateStore;
import dev.tandem.server.store.StoredEndpoint;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens to endpoints in the background once the control plane has accepted an operation:
 * starting a fleet and waiting for it to be healthy (Creating → InService or Failed), blue/green
 * updates and rollbacks, scaling a variant, draining and deleting. Each step writes the endpoint's
 * new status to the store under the control plane's lock. This is where endpoints run on this
 * machine: the {@link Placement} of a server that is not a cluster's gateway.
 */
final class EndpointLifecycle implements Placement {
    private static final Logger LOG = LoggerFactory.getLogger(EndpointLifecycle.class);
    /** How long a replaced or deleted fleet may finish its requests in flight. */
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(60);

    private final StateStore store;
    private final EndpointRegistry registry;
    private final Clock clock;
    private final Path baseDir;
    private final Duration defaultStartupTimeout;
    private final Object stateLock;
    private final DataCapture capture;
    private final AsyncInference async;
    private final PipelineParser parser = new PipelineParser();
    private final List<Thread> running = new ArrayList<>();

    /** Set once the server stops: background work interrupted then has not failed. */
    private volatile boolean closing;

    private static final String LEFT_FOR_NEXT_START =
            "Endpoint {} was still starting when the server stopped; the next start brings it up";

    /** @param stateLock the lock under which the control plane reads and writes endpoint rows */
    EndpointLifecycle(
            StateStore store,
            EndpointRegistry registry,
            Clock clock,
            Path baseDir,
            Duration defaultStartupTimeout,
            Object stateLock,
            DataCapture capture,
            AsyncInference async) {
        this.store = store;
        this.registry = registry;
        this.clock = clock;
        this.baseDir = baseDir;
        this.defaultStartupTimeout = defaultStartupTimeout;
        this.stateLock = stateLock;
        this.capture = capture;
        this.async = async;
    }

    @Override
    public void check(PipelineDefinition model) {
        registry.check(model);
    }

    /** Anything the control plane accepts runs here. */
    @Override
    public void check(Deployment deployment) {}

    @Override
    public boolean countsInstances() {
        return true;
    }

    @Override
    public Set<String> variants(String name) {
        Endpoint live = registry.find(name).orElseThrow(() -> new IllegalStateException(name + " is not running"));
        Set<String> names = new LinkedHashSet<>();
        live.variants().forEach(variant -> names.add(variant.name()));
        return names;
    }

    @Override
    public void resize(
            StoredEndpoint stored, Map<String, Double> weights, Map<String, Integer> changes, Deployment next) {
        String name = stored.name();
        Endpoint live = registry.find(name).orElseThrow(() -> new IllegalStateException(name + " is not running"));
        weights.forEach((variant, weight) -> registry.setWeight(live, variant, weight));
        if (changes.isEmpty()) {
            store.updateEndpoint(stored.withDeployment(stored.configName(), next.toJson(), clock.instant()));
            return;
        }
        store.updateEndpoint(stored.withStatus(EndpointStatus.Updating.name(), null, clock.instant()));
        inBackground("scale-" + name, () -> resize(name, live, changes, next));
    }

    /** Starts again every endpoint the store says was running, as after a restart. */
    @Override
    public void restore() {
        for (StoredEndpoint stored : store.endpoints()) {
            EndpointStatus status = EndpointStatus.valueOf(stored.status());
            if (status == EndpointStatus.Deleting) {
                store.deleteEndpoint(stored.name());
            } else if (status.runs()) {
                store.updateEndpoint(stored.withStatus(EndpointStatus.SystemUpdating.name(), null, clock.instant()));
                LOG.info("Endpoint {} restoring", stored.name());
                create(stored.name(), Deployment.fromJson(stored.deployment()), EndpointStatus.SystemUpdating);
            }
        }
    }

    /** Starts {@code deployment} as endpoint {@code name}; InService once healthy, else Failed. */
    @Override
    public void create(String name, Deployment deployment, EndpointStatus starting) {
        inBackground(
                starting.name().toLowerCase(java.util.Locale.ROOT) + "-" + name,
                () -> deploy(name, deployment, starting));
    }

    /** Takes endpoint {@code name} out of service, drains it, stops it and forgets it. */
    @Override
    public void delete(String name) {
        inBackground("delete-" + name, () -> {
            capture.configure(name, null);
            async.forget(name, "was deleted");
            registry.remove(name, DRAIN_TIMEOUT);
            synchronized (stateLock) {
                store.deleteEndpoint(name);
            }
            LOG.info("Endpoint {} deleted", name);
        });
    }

    /** Moves endpoint {@code name} to {@code next} blue/green, or rolls back. */
    @Override
    public void update(String name, String configName, Deployment next) {
        inBackground("update-" + name, () -> blueGreen(name, configName, next));
    }

    private void deploy(String name, Deployment deployment, EndpointStatus starting) {
        Endpoint endpoint;
        try {
            // First, so that requests queued before a restart expire, or fail if the endpoint cannot start.
            async.configure(name, AsyncSettings.of(deployment.asyncConfig()));
            endpoint = registry.deploy(name, deployment.toSpecs(parser, baseDir));
            capture.configure(name, CaptureSettings.of(deployment.dataCapture()));
        } catch (RuntimeException e) {
            if (closing) {
                // The server is stopping: not a failure of the endpoint (as below).
                LOG.info(LEFT_FOR_NEXT_START, name);
                return;
            }
            async.forget(name, "could not start: " + e.getMessage());
            fail(name, e.getMessage());
            return;
        }
        String failure = awaitHealthy(endpoint.variants(), deployment);
        if (failure != null && closing) {
            // An endpoint still starting when the server stops has not failed: its stored status
            // (Creating, SystemUpdating) stays, so that the next start brings it up, where Failed
            // would keep it down for good; its queued asynchronous requests stay queued.
            capture.configure(name, null);
            registry.remove(name, Duration.ZERO);
            LOG.info(LEFT_FOR_NEXT_START, name);
            return;
        }
        if (failure != null) {
            capture.configure(name, null);
            async.forget(name, "could not start: " + failure);
            registry.remove(name, Duration.ZERO);
            fail(name, failure);
            return;
        }
        setStatus(name, EndpointStatus.InService, null);
        LOG.info("Endpoint {} is InService (was {})", name, starting);
    }

    private void blueGreen(String name, String configName, Deployment next) {
        Endpoint endpoint = registry.find(name).orElse(null);
        if (endpoint == null) {
            setStatus(name, EndpointStatus.Failed, "the endpoint was not running when the update began");
            return;
        }
        List<Variant> fleet;
        try {
            fleet = registry.launch(name, next.toSpecs(parser, baseDir));
        } catch (RuntimeException e) {
            rollBack(name, String.valueOf(e.getMessage()));
            return;
        }
        String failure = awaitHealthy(fleet, next);
        if (failure != null) {
            registry.discard(fleet, Duration.ZERO);
            rollBack(name, failure);
            return;
        }
        List<Variant> old = registry.switchTo(endpoint, fleet);
        capture.configure(name, CaptureSettings.of(next.dataCapture()));
        AsyncSettings asyncSettings = AsyncSettings.of(next.asyncConfig());
        if (asyncSettings == null) {
            async.forget(name, "was updated to a real-time configuration");
        } else {
            async.configure(name, asyncSettings);
        }
        synchronized (stateLock) {
            store.endpoint(name)
                    .ifPresent(stored ->
                            store.updateEndpoint(stored.withDeployment(configName, next.toJson(), clock.instant())
                                    .withStatus(EndpointStatus.InService.name(), null, clock.instant())));
        }
        LOG.info("Endpoint {} updated to configuration {}; old instances draining", name, configName);
        registry.discard(old, DRAIN_TIMEOUT);
    }

    private void rollBack(String name, String failure) {
        LOG.warn("Endpoint {} update failed, staying on its current configuration: {}", name, failure);
        setStatus(name, EndpointStatus.InService, "Update failed: " + failure);
    }

    /**
     * Waits until every instance of {@code fleet} is healthy; returns why it cannot be, or null.
     */
    private @Nullable String awaitHealthy(List<Variant> fleet, Deployment deployment) {
        Duration longest = deployment.variants().stream()
                .map(VariantDeployment::startupTimeout)
                .max(Duration::compareTo)
                .orElse(defaultStartupTimeout);
        return FleetStartup.await(fleet, longest, () -> false, registry.statusChanges());
    }

    private void fail(String name, @Nullable String reason) {
        String text = reason == null ? "failed" : reason.length() > 1024 ? reason.substring(0, 1024) : reason;
        LOG.error("Endpoint {} failed: {}", name, text);
        setStatus(name, EndpointStatus.Failed, text);
    }

    private void setStatus(String name, EndpointStatus status, @Nullable String reason) {
        synchronized (stateLock) {
            store.endpoint(name).ifPresent(stored -> {
                if (!stored.status().equals(EndpointStatus.Deleting.name())) {
                    store.updateEndpoint(stored.withStatus(status.name(), reason, clock.instant()));
                }
            });
        }
    }

    private void resize(String name, Endpoint live, Map<String, Integer> changes, Deployment next) {
        Map<Variant, List<Instance>> started = new java.util.LinkedHashMap<>();
        for (var change : changes.entrySet()) {
            Variant variant = live.variant(change.getKey()).orElseThrow();
            if (change.getValue() > 0) {
                Duration startup = next.variants().stream()
                        .filter(v -> v.variantName().equals(variant.name()))
                        .map(VariantDeployment::startupTimeout)
                        .findFirst()
                        .orElse(defaultStartupTimeout);
                try {
                    List<Instance> instances = registry.launchInstances(variant, name, change.getValue(), startup);
                    started.put(variant, instances);
                    String failure =
                            FleetStartup.awaitInstances(variant.name(), instances, startup, registry.statusChanges());
                    if (failure != null) {
                        started.values().forEach(registry::discardInstances);
                        rollBack(name, failure);
                        return;
                    }
                } catch (RuntimeException e) {
                    started.values().forEach(registry::discardInstances);
                    rollBack(name, String.valueOf(e.getMessage()));
                    return;
                }
            }
        }
        started.forEach(registry::addInstances);
        for (var change : changes.entrySet()) {
            if (change.getValue() < 0) {
                registry.removeInstances(
                        live.variant(change.getKey()).orElseThrow(), -change.getValue(), DRAIN_TIMEOUT);
            }
        }
        synchronized (stateLock) {
            store.endpoint(name)
                    .ifPresent(stored -> store.updateEndpoint(
                            stored.withDeployment(stored.configName(), next.toJson(), clock.instant())
                                    .withStatus(EndpointStatus.InService.name(), null, clock.instant())));
        }
        LOG.info("Endpoint {} scaled: {}", name, changes);
    }

    private void inBackground(String name, Runnable task) {
        Thread thread = Thread.ofVirtual().name(name).unstarted(() -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.error("{} failed", name, e);
            }
        });
        synchronized (running) {
            running.removeIf(t -> !t.isAlive());
            running.add(thread);
        }
        thread.start();
    }

    /** Interrupts background work still running; for shutdown. */
    @Override
    public void close() {
        closing = true;
        List<Thread> threads;
        synchronized (running) {
            threads = new ArrayList<>(running);
        }
        threads.forEach(Thread::interrupt);
    }
}
