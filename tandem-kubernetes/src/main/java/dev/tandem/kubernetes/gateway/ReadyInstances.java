package dev.tandem.kubernetes.gateway;

import dev.tandem.kubernetes.operator.ChildNames;
import dev.tandem.server.endpoint.InstanceAddress;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Where each variant's instances are ready, as Kubernetes publishes it: the EndpointSlices of the
 * variant's Service (which selects the pods of the revision that serves), each pod listed once its
 * readiness probe — the instance's {@code /ping} — passes. Watched, never polled: the API server
 * pushes every change to the informer's cache, and {@link #readyInstances} reads the cache.
 *
 * <p>EndpointSlices are {@code discovery.k8s.io/v1} from Kubernetes 1.21 and {@code v1beta1}
 * before (1.25 removed {@code v1beta1}); whichever the API server serves is watched. (The older
 * Endpoints objects cannot name a loopback address, which the tests' instances have.)
 */
public final class ReadyInstances implements AutoCloseable {
    /** The label each EndpointSlice carries: the Service it belongs to. */
    static final String SERVICE_NAME = "kubernetes.io/service-name";

    private static final String BY_SERVICE = "service";
    /** The port of an instance's Service (see the operator's instance template). */
    private static final String PORT_NAME = "http";

    private final SharedIndexInformer<? extends HasMetadata> informer;
    private final Function<HasMetadata, List<InstanceAddress>> addresses;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    private <S extends HasMetadata> ReadyInstances(
            SharedIndexInformer<S> informer, Function<S, List<InstanceAddress>> addresses) {
        this.informer = informer;
        @SuppressWarnings("unchecked") // only slices of the informer's own type are ever read
        Function<HasMetadata, List<InstanceAddress>> read = slice -> addresses.apply((S) slice);
        this.addresses = read;
        informer.addIndexers(Map.of(BY_SERVICE, slice -> List.of(serviceOf(slice))));
        informer.addEventHandler(new ResourceEventHandler<S>() {
            @Override
            public void onAdd(S slice) {
                changed();
            }

            @Override
            public void onUpdate(S before, S after) {
                changed();
            }

            @Override
            public void onDelete(S slice, boolean finalStateUnknown) {
                changed();
            }
        });
        try {
            informer.start().toCompletableFuture().join();
        } catch (CompletionException e) {
            informer.close();
            // The API server's refusal, as every other call of the client reports it.
            throw e.getCause() instanceof KubernetesClientException refused ? refused : e;
        }
    }

    /** Watches the EndpointSlices of {@code namespace}; returns once the first list is in the cache. */
    public static ReadyInstances watch(KubernetesClient client, String namespace) {
        if (client.supports(io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice.class)) {
            return new ReadyInstances(
                    client.discovery()
                            .v1()
                            .endpointSlices()
                            .inNamespace(namespace)
                            .runnableInformer(0),
                    ReadyInstances::addresses);
        }
        return new ReadyInstances(
                client.discovery()
                        .v1beta1()
                        .endpointSlices()
                        .inNamespace(namespace)
                        .runnableInformer(0),
                ReadyInstances::addresses);
    }

    /** The ready instances of a variant (SageMaker's names), as last published. */
    public List<InstanceAddress> readyInstances(String endpoint, String variant) {
        List<InstanceAddress> ready = new ArrayList<>();
        for (HasMetadata slice : informer.getIndexer().byIndex(BY_SERVICE, ChildNames.service(endpoint, variant))) {
            ready.addAll(addresses.apply(slice));
        }
        return ready;
    }

    /** Runs {@code listener} after each change of a slice, on the watch's thread. */
    public void onChange(Runnable listener) {
        listeners.add(listener);
    }

    private void changed() {
        listeners.forEach(Runnable::run);
    }

    private static String serviceOf(HasMetadata slice) {
        Map<String, String> labels = slice.getMetadata().getLabels();
        String service = labels == null ? null : labels.get(SERVICE_NAME);
        return service == null ? "" : service;
    }

    /** What the two versions of an EndpointSlice say alike: their ports and their endpoints. */
    private record Slice(List<NamedPort> ports, List<SliceEndpoint> endpoints) {}

    private record NamedPort(@Nullable String name, @Nullable Integer port) {}

    private record SliceEndpoint(
            @Nullable Boolean ready, @Nullable List<String> addresses, @Nullable ObjectReference target) {}

    /** The ready instances a {@code v1} slice lists. */
    static List<InstanceAddress> addresses(io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice slice) {
        return addresses(new Slice(
                slice.getPorts().stream()
                        .map(p -> new NamedPort(p.getName(), p.getPort()))
                        .toList(),
                slice.getEndpoints().stream()
                        .map(e -> new SliceEndpoint(
                                e.getConditions() == null
                                        ? null
                                        : e.getConditions().getReady(),
                                e.getAddresses(),
                                e.getTargetRef()))
                        .toList()));
    }

    /** The ready instances a {@code v1beta1} slice lists. */
    static List<InstanceAddress> addresses(io.fabric8.kubernetes.api.model.discovery.v1beta1.EndpointSlice slice) {
        return addresses(new Slice(
                slice.getPorts().stream()
                        .map(p -> new NamedPort(p.getName(), p.getPort()))
                        .toList(),
                slice.getEndpoints().stream()
                        .map(e -> new SliceEndpoint(
                                e.getConditions() == null
                                        ? null
                                        : e.getConditions().getReady(),
                                e.getAddresses(),
                                e.getTargetRef()))
                        .toList()));
    }

    private static List<InstanceAddress> addresses(Slice slice) {
        Integer port = port(slice.ports());
        List<InstanceAddress> ready = new ArrayList<>();
        if (port != null) {
            slice.endpoints().forEach(endpoint -> add(ready, endpoint, port));
        }
        return ready;
    }

    /** The instances' port: the one named as the operator names it, else the only one. */
    private static @Nullable Integer port(List<NamedPort> ports) {
        for (NamedPort port : ports) {
            if (PORT_NAME.equals(port.name())) {
                return port.port();
            }
        }
        return ports.size() == 1 ? ports.get(0).port() : null;
    }

    /**
     * Adds an endpoint of a slice when it is ready: Kubernetes says an unknown readiness is to be
     * read as ready. Its name is its pod's, or its address where it names none.
     */
    private static void add(List<InstanceAddress> ready, SliceEndpoint endpoint, int port) {
        List<String> addresses = endpoint.addresses();
        if (Boolean.FALSE.equals(endpoint.ready()) || addresses == null || addresses.isEmpty()) {
            return;
        }
        String host = addresses.get(0);
        ObjectReference target = endpoint.target();
        String id = target != null && target.getName() != null ? target.getName() : host + ":" + port;
        ready.add(new InstanceAddress(id, host, port));
    }

    @Override
    public void close() {
        informer.close();
    }
}
