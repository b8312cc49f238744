package dev.tandem.server.endpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.core.engine.AsyncStage;
import dev.tandem.core.error.ModelNotReadyException;
import dev.tandem.core.error.ServiceUnavailableException;
import dev.tandem.core.error.ThrottlingException;
import dev.tandem.core.model.ExecutionMode;
import dev.tandem.core.model.PipelineDefinition;
import dev.tandem.core.runtime.ContainerStatus;
import dev.tandem.core.runtime.LogLine;
import dev.tandem.core.runtime.RunningContainer;
import dev.tandem.core.stage.StageResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How a serverless variant starts instances on demand, refuses past MaxConcurrency, and stops idle
 * instances — its time driven by the test.
 */
class ServerlessScalerTest {
    private static final Duration IDLE = Duration.ofSeconds(60);
    private static final Duration STARTUP = Duration.ofSeconds(30);

    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    /** The containers of the instances launched, in order; each starts as STARTING. */
    private final List<SwitchableContainer> launched = new CopyOnWriteArrayList<>();

    private final List<Duration> setupTimes = new CopyOnWriteArrayList<>();

    @AfterEach
    void stopTimers() {
        timers.shutdownNow();
    }

    /** A serverless endpoint of one variant whose instances take {@code places} requests each. */
    private Endpoint endpoint(ServerlessConfig config, int places) {
        int[] ids = {0};
        ServerlessScaler scaler = new ServerlessScaler(
                "e",
                "v",
                config,
                places,
                STARTUP,
                IDLE,
                onStatusChange -> {
                    SwitchableContainer container = new SwitchableContainer(onStatusChange);
                    launched.add(container);
                    return new Instance("i-" + ++ids[0], List.of(container), places);
                },
                (endpoint, variant, setup) -> setupTimes.add(setup),
                timers,
                now::get);
        Variant variant = new Variant(
                "v",
                new PipelineDefinition("m", ExecutionMode.SERIAL, List.of(InFlightLimitTest.builtin())),
                List.of(),
                1,
                timers,
                scaler);
        scaler.attach(variant);
        return new Endpoint("e", List.of(variant));
    }

    private static ServerlessConfig config(int max, int provisioned) {
        return new ServerlessConfig(1024, max, provisioned);
    }

    @Test
    void theFirstRequestWaitsForTheInstanceItStartsAndItsSetupTimeIsReported() throws Exception {
        Endpoint endpoint = endpoint(config(5, 0), 4);
        assertThat(endpoint.isInService()).as("in service with no instance").isTrue();

        CompletableFuture<Endpoint.Lease> first = endpoint.admit(null);

        awaitLaunched(1);
        assertThat(first).isNotDone();
        now.addAndGet(Duration.ofMillis(250).toNanos());
        launched.get(0).become(ContainerStatus.healthy(0));

        Endpoint.Lease lease = first.get(5, TimeUnit.SECONDS);
        assertThat(lease.instance().id()).isEqualTo("i-1");
        // The variant may serve the line from the instance's status change before the scaler
        // notes the start: the report follows the lease, not always before it.
        awaitSetupTimes(1);
        assertThat(setupTimes).containsExactly(Duration.ofMillis(250));
        // Warm: served at once, nothing more started.
        assertThat(endpoint.admit(null)).isCompleted();
        assertThat(launched).hasSize(1);
    }

    @Test
    void moreConcurrentRequestsThanAnInstanceTakesStartAnotherUpToWhatMaxConcurrencyNeeds() throws Exception {
        Endpoint endpoint = endpoint(config(4, 0), 2);

        List<CompletableFuture<Endpoint.Lease>> waiting =
                List.of(endpoint.admit(null), endpoint.admit(null), endpoint.admit(null), endpoint.admit(null));

        awaitLaunched(2);
        launched.forEach(c -> c.become(ContainerStatus.healthy(0)));
        for (CompletableFuture<Endpoint.Lease> lease : waiting) {
            lease.get(5, TimeUnit.SECONDS);
        }
        assertThat(launched).as("4 requests, 2 places each").hasSize(2);
    }

    @Test
    void pastMaxConcurrencyARequestIsRefusedAtOnceWaitingOnesIncluded() {
        Endpoint endpoint = endpoint(config(2, 0), 4);
        endpoint.admit(null);
        endpoint.admit(null);

        CompletableFuture<Endpoint.Lease> third = endpoint.admit(null);

        assertThat(third).isCompletedExceptionally();
        assertThatThrownBy(third::join)
                .hasCauseInstanceOf(ThrottlingException.class)
                .hasMessageContaining("serverless variant v has 2 request(s) in flight or waiting")
                .hasMessageContaining("its MaxConcurrency of 2");
    }

    @Test
    void aRequestGivesUpOnAStartThatTakesLongerThanTheStartupTimeout() throws Exception {
        ServerlessScaler scaler = new ServerlessScaler(
                "e",
                "v",
                config(2, 0),
                1,
                Duration.ofMillis(100),
                IDLE,
                onStatusChange -> new Instance("i-1", List.of(new SwitchableContainer(onStatusChange)), 1),
                ServerlessScaler.Listener.NONE,
                timers,
                now::get);
        Variant variant = new Variant(
                "v",
                new PipelineDefinition("m", ExecutionMode.SERIAL, List.of(InFlightLimitTest.builtin())),
                List.of(),
                1,
                timers,
                scaler);
        scaler.attach(variant);
        Endpoint endpoint = new Endpoint("e", List.of(variant));

        CompletableFuture<Endpoint.Lease> waiting = endpoint.admit(null);

        assertThatThrownBy(() -> waiting.get(5, TimeUnit.SECONDS))
                .hasCauseInstanceOf(ModelNotReadyException.class)
                .hasMessageContaining("still starting an instance for this request");
        assertThat(scaler.admitted()).as("its count given back").isZero();
    }

    @Test
    void anInstanceThatFailsToStartFailsTheRequestsWaitingForIt() throws Exception {
        Endpoint endpoint = endpoint(config(2, 0), 4);

        CompletableFuture<Endpoint.Lease> waiting = endpoint.admit(null);
        awaitLaunched(1);
        launched.get(0).become(new ContainerStatus(ContainerStatus.Phase.STOPPED, "exited with code 1", 0));

        assertThatThrownBy(() -> waiting.get(5, TimeUnit.SECONDS))
                .hasCauseInstanceOf(ServiceUnavailableException.class)
                .hasMessageContaining("the instance started for it failed")
                .hasMessageContaining("exited with code 1");
        assertThat(endpoint.variants().get(0).instances()).isEmpty();
    }

    @Test
    void anInstanceIdleForTheIdleTimeStopsButTheProvisionedOnesStayWarm() throws Exception {
        Endpoint endpoint = endpoint(config(8, 0), 1);
        List<CompletableFuture<Endpoint.Lease>> two = List.of(endpoint.admit(null), endpoint.admit(null));
        awaitLaunched(2);
        launched.forEach(c -> c.become(ContainerStatus.healthy(0)));
        Variant variant = endpoint.variants().get(0);
        // Both in service before either request ends: a container can turn healthy before its
        // instance is counted as starting, and is then seen by the scaler's next check only; the
        // second request would meanwhile be served by the first instance once the first ends.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (variant.healthyInstances() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        for (CompletableFuture<Endpoint.Lease> lease : two) {
            lease.get(5, TimeUnit.SECONDS).release();
        }
        ServerlessScaler scaler = java.util.Objects.requireNonNull(variant.serverless());

        scaler.stopIdle();
        now.addAndGet(IDLE.minusSeconds(1).toNanos());
        scaler.stopIdle();
        assertThat(variant.instances()).as("not idle long enough").hasSize(2);

        // One provisioned request: one instance stays warm, the other stops.
        scaler.update(config(8, 1));
        now.addAndGet(Duration.ofSeconds(2).toNanos());
        scaler.stopIdle();
        assertThat(variant.instances()).hasSize(1);
        awaitClosed(1);

        now.addAndGet(IDLE.multipliedBy(10).toNanos());
        scaler.stopIdle();
        assertThat(variant.instances()).as("the provisioned instance stays").hasSize(1);

        scaler.update(config(8, 0));
        now.addAndGet(IDLE.toNanos());
        scaler.stopIdle();
        assertThat(variant.instances()).isEmpty();
    }

    private void awaitLaunched(int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (launched.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(launched).hasSizeGreaterThanOrEqualTo(count);
    }

    private void awaitSetupTimes(int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (setupTimes.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }

    private void awaitClosed(int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (launched.stream().filter(SwitchableContainer::closed).count() < count && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(launched.stream().filter(SwitchableContainer::closed)).hasSize(count);
    }

    /** A container whose status the test sets; it tells its instance's listener, as a runtime does. */
    private static final class SwitchableContainer implements RunningContainer {
        private final Runnable onStatusChange;
        private volatile ContainerStatus status = new ContainerStatus(ContainerStatus.Phase.STARTING, null, 0);
        private volatile boolean closed;

        SwitchableContainer(Runnable onStatusChange) {
            this.onStatusChange = onStatusChange;
        }

        void become(ContainerStatus next) {
            status = next;
            onStatusChange.run();
        }

        boolean closed() {
            return closed;
        }

        @Override
        public String hostname() {
            return "c";
        }

        @Override
        public AsyncStage stage() {
            return request -> CompletableFuture.completedFuture(StageResponse.of(request.body(), null));
        }

        @Override
        public ContainerStatus status() {
            return status;
        }

        @Override
        public List<LogLine> logs() {
            return List.of();
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
