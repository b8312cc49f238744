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
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The server's endpoints by name: deploys them, finds them, stops them. */
public final class EndpointRegistry implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EndpointRegistry.class);

    private final ContainerRuntime runtimes;
    private final ModelDataStore modelData;
    private final Duration startupTimeout;
    private final ConcurrentMap<String, Endpoint> endpoints = new ConcurrentHashMap<>();
    private final AtomicInteger instanceCounter = new AtomicInteger();

    public EndpointRegistry(ContainerRuntime runtimes, ModelDataStore modelData, Duration startupTimeout) {
        this.runtimes = runtimes;
        this.modelData = modelData;
        this.startupTimeout = startupTimeout;
    }

    public Optional<Endpoint> find(String name) {
        return Optional.ofNullable(endpoints.get(name));
    }

    public Collection<Endpoint> all() {
        return endpoints.values();
    }

    /**
     * Starts {@code instanceCount} instances of {@code model} as endpoint {@code name}; returns at
     * once while the containers become healthy in the background.
     *
     * @throws ValidationException when the name is taken or a container cannot be run; nothing is
     *     left running then
     */
    public Endpoint deploy(String name, PipelineDefinition model, int instanceCount) {
        if (endpoints.containsKey(name)) {
            throw new ValidationException("Cannot create already existing endpoint " + name + ".");
        }
        List<Path> modelDirs = new ArrayList<>();
        for (int i = 0; i < model.containers().size(); i++) {
            ContainerDefinition container = model.containers().get(i);
            modelDirs.add(
                    modelData.resolve(container.modelData(), "Container " + container.hostname() + " ModelDataUrl"));
        }
        List<Instance> instances = new ArrayList<>();
        try {
            for (int n = 0; n < instanceCount; n++) {
                instances.add(launch(name, model, modelDirs));
            }
        } catch (RuntimeException e) {
            instances.forEach(Instance::close);
            throw e;
        }
        Endpoint endpoint = new Endpoint(name, Endpoint.DEFAULT_VARIANT, model, instances);
        if (endpoints.putIfAbsent(name, endpoint) != null) {
            endpoint.close();
            throw new ValidationException("Cannot create already existing endpoint " + name + ".");
        }
        LOG.info(
                "Endpoint {} created: model {}, {} instance(s) of {} container(s)",
                name,
                model.modelName(),
                instanceCount,
                model.containers().size());
        return endpoint;
    }

    private Instance launch(String endpointName, PipelineDefinition model, List<Path> modelDirs) {
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
                        status -> logStatus(endpointName, instanceId, container.hostname(), status))));
            }
        } catch (RuntimeException e) {
            started.forEach(RunningContainer::close);
            throw e;
        }
        return new Instance(instanceId, started);
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
