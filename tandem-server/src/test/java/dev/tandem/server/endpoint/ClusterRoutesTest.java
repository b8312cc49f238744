package dev.tandem.server.endpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.core.engine.InvocationResult;
import dev.tandem.core.error.ModelNotReadyException;
import dev.tandem.core.error.ServiceUnavailableException;
import dev.tandem.core.model.ExecutionMode;
import dev.tandem.core.model.PipelineDefinition;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.server.endpoint.EndpointRegistry.RoutedVariant;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** A gateway's endpoints, routed to the instances a cluster reports ready ({@link EndpointRegistry#route}). */
class ClusterRoutesTest {
    private static final ScheduledExecutorService TIMERS = Executors.newSingleThreadScheduledExecutor();
    private static final PipelineDefinition V1 =
            new PipelineDefinition("v1", ExecutionMode.SERIAL, List.of(InFlightLimitTest.builtin()));
    private static final PipelineDefinition V2 =
            new PipelineDefinition("v2", ExecutionMode.SERIAL, List.of(InFlightLimitTest.builtin()));
    private static final InstanceAddress A = new InstanceAddress("pod-a", "10.0.0.1", 8080);
    private static final InstanceAddress B = new InstanceAddress("pod-b", "10.0.0.2", 8080);
    private static final InstanceAddress C = new InstanceAddress("pod-c", "10.0.0.3", 8080);

    private final EndpointRegistry registry = new EndpointRegistry(
            null, null, InFlightLimit.fixed(2), TIMERS, Duration.ofMinutes(1), ServerlessScaler.Listener.NONE);
    private final List<InstanceAddress> connected = new ArrayList<>();

    private void route(RoutedVariant... variants) {
        registry.route("e", List.of(variants), (address, model) -> {
            connected.add(address);
            return new Fixed(true);
        });
    }

    @Test
    void anEndpointTakesTheReadyInstancesAndKeepsThemAndTheirRequestsAcrossChanges() {
        route(new RoutedVariant("AllTraffic", V1, 1.0, List.of(A, B)));
        Endpoint endpoint = registry.find("e").orElseThrow();
        Endpoint.Lease first = endpoint.acquire(null);
        Endpoint.Lease second = endpoint.acquire(null);
        assertThat(List.of(first.instance().id(), second.instance().id())).containsExactlyInAnyOrder("pod-a", "pod-b");
        assertThat(first.instance().remote()).isNotNull();

        // pod-b is gone, pod-c is ready: pod-a keeps its request in flight and its count.
        route(new RoutedVariant("AllTraffic", V1, 1.0, List.of(A, C)));
        Variant variant = endpoint.variants().get(0);
        assertThat(variant.instances()).extracting(Instance::id).containsExactly("pod-a", "pod-c");
        Instance podA = variant.instances().get(0);
        assertThat(podA).isSameAs(first.instance().id().equals("pod-a") ? first.instance() : second.instance());
        assertThat(podA.outstanding()).isEqualTo(1);
        assertThat(connected).as("one client per instance, made once").containsExactly(A, B, C);

        // A request that ends on an instance no longer routed ends cleanly.
        first.release();
        second.release();
        assertThat(podA.outstanding()).isZero();
    }

    @Test
    void weightsChangeInPlaceAndANewModelIsANewSetOfVariants() {
        route(new RoutedVariant("AllTraffic", V1, 1.0, List.of(A)));
        Endpoint endpoint = registry.find("e").orElseThrow();
        Variant before = endpoint.variants().get(0);

        route(new RoutedVariant("AllTraffic", V1, 0.5, List.of(A)));
        assertThat(endpoint.variants().get(0)).isSameAs(before);
        assertThat(before.weight()).isEqualTo(0.5);

        route(
                new RoutedVariant("AllTraffic", V2, 1.0, List.of(A, B)),
                new RoutedVariant("Shadow", V1, 0.0, List.of(C)));
        assertThat(endpoint.variants()).extracting(Variant::name).containsExactly("AllTraffic", "Shadow");
        assertThat(endpoint.variants().get(0).model()).isEqualTo(V2);
        assertThat(endpoint.variants().get(0).instances().get(0))
                .as("an instance still ready is the same instance")
                .isSameAs(before.instances().get(0));
    }

    @Test
    void withNoInstanceReadyOrNoneReachableARequestIsRefusedAtOnceSayingWhy() {
        route(new RoutedVariant("AllTraffic", V1, 1.0, List.of()));
        Endpoint endpoint = registry.find("e").orElseThrow();
        assertThatThrownBy(() -> endpoint.acquire(null))
                .isInstanceOf(ModelNotReadyException.class)
                .hasMessage("Endpoint e is starting: variant AllTraffic has no instance ready. Try again shortly.");

        Fixed down = new Fixed(false);
        registry.route("e", List.of(new RoutedVariant("AllTraffic", V1, 1.0, List.of(A))), (address, model) -> down);
        assertThatThrownBy(() -> endpoint.acquire(null))
                .isInstanceOf(ServiceUnavailableException.class)
                .hasMessage("Endpoint e has no healthy instance: instance pod-a could not be reached just now."
                        + " Try again shortly.");
    }

    @Test
    void anEndpointNoLongerRoutedIsRemoved() {
        route(new RoutedVariant("AllTraffic", V1, 1.0, List.of(A)));

        registry.remove("e", Duration.ZERO);

        assertThat(registry.find("e")).isEmpty();
    }

    /** An instance that is reachable or not; these tests only route, they never invoke it. */
    private record Fixed(boolean isAvailable) implements RemoteInstance {
        @Override
        public CompletableFuture<InvocationResult> invoke(
                StageRequest request, @Nullable String targetContainer, @Nullable String inferenceId) {
            throw new UnsupportedOperationException("not invoked here");
        }
    }
}
