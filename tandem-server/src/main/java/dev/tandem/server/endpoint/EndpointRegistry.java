package dev.tandem.server.endpoint;

import dev.tandem.core.error.ValidationException;
import dev.tandem.core.model.ContainerDefinition;
import dev.tandem.core.model.PipelineDefinition;
import dev.tandem.core.runtime.ContainerRuntime;
import dev.tandem.core.runtime.ContainerStatus;
import dev.tandem.core.runtime.LaunchRequest;
import dev.tandem.core.runtime.RunningContainer;
import dev.tandem.runtime.model.ModelDataStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The server's running endpoints by name: starts their instances, finds them, stops them. */
public final class EndpointRegistry implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EndpointRegistry.class);

    private final ContainerRuntime runtimes;
    private final ModelDataStore modelData;
    private final ConcurrentMap<String, Endpoint> endpoints = new ConcurrentHashMap<>();
    private final AtomicInteger instanceCounter = new AtomicInteger();
    private final StatusChanges statusChanges = new StatusChanges();
    private final InFlightLimit inFlight;
    private final ScheduledExecutorService timers;
    private final Duration serverlessIdle;
    private final ServerlessScaler.Listener serverlessStarts;

    /**
     * @param inFlight how many requests each instance takes at a time
     * @param timers where waits time out (the admission lines' deadlines) and serverless variants
     *     look for idle instances
     * @param serverlessIdle how long an instance of a serverless variant serves nothing before it
     *     stops
     * @param serverlessStarts told of every instance a serverless variant starts on demand
     */
    public EndpointRegistry(
            ContainerRuntime runtimes,
            ModelDataStore modelData,
            InFlightLimit inFlight,
            ScheduledExecutorService timers,
            Duration serverlessIdle,
            ServerlessScaler.Listener serverlessStarts) {
        this.runtimes = runtimes;
        this.modelData = modelData;
        this.inFlight = inFlight;
        this.timers = timers;
        this.serverlessIdle = serverlessIdle;
        this.serverlessStarts = serverlessStarts;
    }

    /** Signalled on every status change of every container this registry started. */
    public StatusChanges statusChanges() {
        return statusChanges;
    }

    public Optional<Endpoint> find(String name) {
        return Optional.ofNullable(endpoints.get(name));
    }

    /**
     * The endpoint named {@code name}.
     *
     * @throws ValidationException in SageMaker's words when there is none
     */
    public Endpoint require(String name, String accountId) {
        Endpoint endpoint = endpoints.get(name);
        if (endpoint == null) {
            throw new ValidationException("Endpoint " + name + " of account " + accountId + " not found.");
        }
        return endpoint;
    }

    public Collection<Endpoint> all() {
        return endpoints.values();
    }

    /**
     * Starts the instances of every variant as endpoint {@code name}; returns at once while the
     * containers become healthy in the background.
     *
     * @throws ValidationException when the name is taken or a container cannot be run; nothing is
     *     left running then
     */
    public Endpoint deploy(String name, List<VariantSpec> specs) {
        if (endpoints.containsKey(name)) {
            throw new ValidationException("Cannot create already existing endpoint " + name + ".");
        }
        Endpoint endpoint = new Endpoint(name, launch(name, specs));
        if (endpoints.putIfAbsent(name, endpoint) != null) {
            endpoint.close();
            throw new ValidationException("Cannot create already existing endpoint " + name + ".");
        }
        LOG.info(
                "Endpoint {} created: {}",
                name,
                specs.stream()
                        .map(s -> s.name() + " (model " + s.model().modelName() + ", "
                                + (s.serverless() == null
                                        ? s.instanceCount() + " instance(s)"
                                        : "serverless, MaxConcurrency "
                                                + s.serverless().maxConcurrency())
                                + ", weight " + s.weight() + ")")
                        .toList());
        return endpoint;
    }

    /**
     * Checks that every container of {@code model} can run here — programs, stages and model data
     * exist — without starting anything.
     *
     * @throws ValidationException naming the container and the problem
     */
    public void check(PipelineDefinition model) {
        inFlight.forModel(model);
        for (ContainerDefinition container : model.containers()) {
            runtimes.check(container);
            modelData.check(container.modelData(), "Container " + container.hostname() + " ModelDataUrl");
        }
    }

    /** Deploys one model as endpoint {@code name}: variant AllTraffic, one instance. */
    public Endpoint deploy(String name, PipelineDefinition model, Duration startupTimeout) {
        return deploy(name, List.of(new VariantSpec(Endpoint.DEFAULT_VARIANT, model, 1, 1.0, startupTimeout)));
    }

    /**
     * Starts a new fleet for {@code endpoint} without giving it traffic yet; {@link #switchTo} moves
     * traffic once it is healthy, {@link #discard} drops it if it is not.
     */
    public List<Variant> launch(String endpointName, List<VariantSpec> specs) {
        List<Variant> variants = new ArrayList<>();
        try {
            for (VariantSpec spec : specs) {
                variants.add(launchVariant(endpointName, spec));
            }
        } catch (RuntimeException e) {
            variants.forEach(Variant::close);
            throw e;
        }
        return variants;
    }

    /** Moves all traffic of {@code endpoint} to {@code fleet}; returns the fleet it replaced. */
    public List<Variant> switchTo(Endpoint endpoint, List<Variant> fleet) {
        return endpoint.replaceVariants(fleet);
    }

    /**
     * Stops a fleet once its requests in flight have finished (or {@code drainTimeout} passed).
     */
    public void discard(List<Variant> fleet, Duration drainTimeout) {
        CompletableFuture.allOf(fleet.stream()
                        .flatMap(variant -> variant.instances().stream())
                        .map(Instance::drained)
                        .toArray(CompletableFuture[]::new))
                .completeOnTimeout(null, drainTimeout.toNanos(), TimeUnit.NANOSECONDS)
                .join();
        fleet.forEach(Variant::close);
    }

    private Variant launchVariant(String endpointName, VariantSpec spec) {
        ServerlessConfig serverless = spec.serverless();
        if (serverless == null) {
            return new Variant(
                    spec.name(),
                    spec.model(),
                    launchInstances(endpointName, spec.model(), spec.instanceCount(), spec.startupTimeout()),
                    spec.weight(),
                    timers);
        }
        int places = inFlight.forModel(spec.model());
        long memory = serverless.memorySizeInMb() * 1024L * 1024;
        List<Path> modelDirs = modelDirs(spec.model());
        ServerlessScaler scaler = new ServerlessScaler(
                endpointName,
                spec.name(),
                serverless,
                places,
                spec.startupTimeout(),
                serverlessIdle,
                onChange -> launchInstance(
                        endpointName, spec.model(), modelDirs, spec.startupTimeout(), places, memory, onChange),
                serverlessStarts,
                timers,
                System::nanoTime);
        // The provisioned instances start with the variant, and it is in service once they are healthy.
        List<Instance> warm = new ArrayList<>();
        try {
            for (int n = 0; n < scaler.warmInstances(); n++) {
                warm.add(launchInstance(
                        endpointName, spec.model(), modelDirs, spec.startupTimeout(), places, memory, () -> {}));
            }
        } catch (RuntimeException e) {
            warm.forEach(Instance::close);
            throw e;
        }
        Variant variant = new Variant(spec.name(), spec.model(), warm, spec.weight(), timers, scaler);
        scaler.attach(variant);
        return variant;
    }

    /**
     * Starts {@code count} more instances of a variant's model; they take no traffic until {@link
     * #addInstances} adds them.
     */
    public List<Instance> launchInstances(Variant variant, String endpointName, int count, Duration startupTimeout) {
        return launchInstances(endpointName, variant.model(), count, startupTimeout);
    }

    /** Gives traffic to instances started by {@link #launchInstances(Variant, String, int, Duration)}. */
    public void addInstances(Variant variant, List<Instance> instances) {
        variant.addInstances(instances);
    }

    /** Takes {@code count} instances of a variant out of traffic, drains and stops them. */
    public void removeInstances(Variant variant, int count, Duration drainTimeout) {
        List<Thread> stopping = variant.removeInstances(count).stream()
                .map(instance -> Thread.ofVirtual()
                        .name("stop-" + instance.id())
                        .start(() -> instance.drainAndClose(drainTimeout)))
                .toList();
        for (Thread thread : stopping) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Stops instances that never took traffic. */
    public void discardInstances(List<Instance> instances) {
        instances.forEach(Instance::close);
    }

    private List<Instance> launchInstances(
            String endpointName, PipelineDefinition model, int count, Duration startupTimeout) {
        int maxInFlight = inFlight.forModel(model);
        List<Path> modelDirs = modelDirs(model);
        List<Instance> instances = new ArrayList<>();
        try {
            for (int n = 0; n < count; n++) {
                instances.add(launchInstance(endpointName, model, modelDirs, startupTimeout, maxInFlight, 0, () -> {}));
            }
        } catch (RuntimeException e) {
            instances.forEach(Instance::close);
            throw e;
        }
        return instances;
    }

    /** Where each container's model data is, fetched and unpacked once for all its instances. */
    private List<Path> modelDirs(PipelineDefinition model) {
        List<Path> modelDirs = new ArrayList<>();
        for (ContainerDefinition container : model.containers()) {
            modelDirs.add(
                    modelData.resolve(container.modelData(), "Container " + container.hostname() + " ModelDataUrl"));
        }
        return modelDirs;
    }

    /**
     * @param memoryLimitBytes what each container may use where its runtime enforces it; 0 for no
     *     limit
     * @param onStatusChange runs whenever one of its containers changes status
     */
    private Instance launchInstance(
            String endpointName,
            PipelineDefinition model,
            List<Path> modelDirs,
            Duration startupTimeout,
            int maxInFlight,
            long memoryLimitBytes,
            Runnable onStatusChange) {
        String instanceId = "i-" + instanceCounter.incrementAndGet();
        List<RunningContainer> started = new ArrayList<>();
        try {
            for (int i = 0; i < model.containers().size(); i++) {
                ContainerDefinition container = model.containers().get(i);
                started.add(runtimes.start(new LaunchRequest(
                        endpointName,
                        instanceId,
                        container,
                        modelDirs.get(i),
                        startupTimeout,
                        memoryLimitBytes,
                        status -> {
                            logStatus(endpointName, instanceId, container.hostname(), status);
                            onStatusChange.run();
                            statusChanges.signal();
                        })));
            }
        } catch (RuntimeException e) {
            started.forEach(RunningContainer::close);
            throw e;
        }
        return new Instance(instanceId, started, maxInFlight);
    }

    private static void logStatus(String endpoint, String instance, String hostname, ContainerStatus status) {
        switch (status.phase()) {
            case HEALTHY ->
                LOG.info("Endpoint {}: container {} of instance {} is healthy", endpoint, hostname, instance);
            case UNHEALTHY ->
                LOG.warn(
                        "Endpoint {}: container {} of instance {} is unhealthy: {}",
                        endpoint,
                        hostname,
                        instance,
                        status.reason());
            case STOPPED -> {
                if (!"stopped".equals(status.reason())) {
                    LOG.error(
                            "Endpoint {}: container {} of instance {} failed: {}",
                            endpoint,
                            hostname,
                            instance,
                            status.reason());
                }
            }
            case STARTING ->
                LOG.debug("Endpoint {}: container {} of instance {} is starting", endpoint, hostname, instance);
        }
    }

    /**
     * A variant of an endpoint that a cluster runs, as its gateway routes to it.
     *
     * @param ready the instances ready to serve now
     */
    public record RoutedVariant(String name, PipelineDefinition model, double weight, List<InstanceAddress> ready) {
        public RoutedVariant {
            ready = List.copyOf(ready);
        }
    }

    /**
     * Routes endpoint {@code name} to instances that a cluster runs (this server being its gateway):
     * creates the endpoint, or brings its variants, weights and instances to {@code wanted}. An
     * instance still ready keeps its requests in flight and its place in the counts; one no longer
     * ready takes no new request, and those it serves finish or fail on their own.
     *
     * @param connect makes the client of an instance of a model, seen for the first time
     */
    public void route(
            String name,
            List<RoutedVariant> wanted,
            BiFunction<InstanceAddress, PipelineDefinition, RemoteInstance> connect) {
        Endpoint current = endpoints.get(name);
        Map<InstanceAddress, Instance> known = new HashMap<>();
        if (current != null) {
            for (Variant variant : current.variants()) {
                for (Instance instance : variant.instances()) {
                    if (instance.address() != null) {
                        known.put(instance.address(), instance);
                    }
                }
            }
            if (sameVariants(current.variants(), wanted)) {
                for (int i = 0; i < wanted.size(); i++) {
                    Variant variant = current.variants().get(i);
                    variant.weight(wanted.get(i).weight());
                    variant.replaceInstances(remoteInstances(wanted.get(i), known, connect));
                }
                return;
            }
        }
        List<Variant> variants = new ArrayList<>();
        for (RoutedVariant variant : wanted) {
            variants.add(new Variant(
                    variant.name(),
                    variant.model(),
                    remoteInstances(variant, known, connect),
                    variant.weight(),
                    timers));
        }
        if (current == null) {
            endpoints.put(name, new Endpoint(name, variants));
            LOG.info("Endpoint {} routed to the cluster's instances", name);
        } else {
            current.replaceVariants(variants);
        }
    }

    /** Whether the variants are those wanted, by name and model, in order: only weights and instances differ. */
    private static boolean sameVariants(List<Variant> running, List<RoutedVariant> wanted) {
        if (running.size() != wanted.size()) {
            return false;
        }
        for (int i = 0; i < running.size(); i++) {
            if (!running.get(i).name().equals(wanted.get(i).name())
                    || !running.get(i).model().equals(wanted.get(i).model())) {
                return false;
            }
        }
        return true;
    }

    private List<Instance> remoteInstances(
            RoutedVariant variant,
            Map<InstanceAddress, Instance> known,
            BiFunction<InstanceAddress, PipelineDefinition, RemoteInstance> connect) {
        int maxInFlight = inFlight.forModel(variant.model());
        List<Instance> instances = new ArrayList<>();
        for (InstanceAddress address : variant.ready()) {
            Instance instance = known.get(address);
            instances.add(
                    instance != null
                            ? instance
                            : Instance.remote(address, connect.apply(address, variant.model()), maxInFlight));
        }
        return instances;
    }

    /**
     * Takes endpoint {@code name} out of service at once (new requests no longer find it), lets its
     * requests in flight finish for up to {@code drainTimeout}, then stops every container of it.
     */
    public void remove(String name, Duration drainTimeout) {
        Endpoint endpoint = endpoints.remove(name);
        if (endpoint != null) {
            discard(endpoint.variants(), drainTimeout);
        }
    }

    /** Sets a variant's share of traffic; takes effect with the next request. */
    public void setWeight(Endpoint endpoint, String variantName, double weight) {
        endpoint.variant(variantName).ifPresent(variant -> variant.weight(weight));
    }

    /** Stops every endpoint, all in parallel; returns when every container has exited. */
    @Override
    public void close() {
        List<Thread> stopping = new ArrayList<>();
        for (Endpoint endpoint : endpoints.values()) {
            stopping.add(Thread.ofVirtual().name("stop-" + endpoint.name()).start(endpoint::close));
        }
        endpoints.clear();
        for (Thread thread : stopping) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
