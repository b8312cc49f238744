package dev.tandem.server.endpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.core.engine.AsyncStage;
import dev.tandem.core.error.ModelNotReadyException;
import dev.tandem.core.error.ServiceUnavailableException;
import dev.tandem.core.error.ThrottlingException;
import dev.tandem.core.error.ValidationException;
import dev.tandem.core.model.ExecutionMode;
import dev.tandem.core.model.PipelineDefinition;
import dev.tandem.core.runtime.ContainerStatus;
import dev.tandem.core.runtime.LogLine;
import dev.tandem.core.runtime.RunningContainer;
import dev.tandem.core.stage.StageResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

/** How an endpoint picks the variant and the instance of each request, and when it refuses. */
class EndpointTest {
    private static final ScheduledExecutorService TIMERS = Executors.newSingleThreadScheduledExecutor();

    @Test
    void aRequestGoesToTheLeastBusyHealthyInstanceAndPastEveryBoundIsThrottled() {
        Instance first = instance("i-1", 2, ContainerStatus.healthy(0));
        Instance second = instance("i-2", 2, ContainerStatus.healthy(0));
        Endpoint endpoint = new Endpoint("e", List.of(variant("AllTraffic", 1, first, second)));

        List<Endpoint.Lease> leases = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            leases.add(endpoint.acquire(null));
        }
        assertThat(first.outstanding()).isEqualTo(2);
        assertThat(second.outstanding()).isEqualTo(2);
        assertThatThrownBy(() -> endpoint.acquire(null))
                .isInstanceOf(ThrottlingException.class)
                .hasMessageStartingWith("Endpoint e is at capacity: variant AllTraffic");

        leases.get(0).release();
        Endpoint.Lease next = endpoint.acquire(null);
        assertThat(next.instance()).isSameAs(leases.get(0).instance());
    }

    @Test
    void beforeAnyRequestHasFinishedAFullEndpointRefusesAtOnce() {
        Endpoint endpoint = new Endpoint("e", List.of(variant("v", 1, instance("i-1", 2, ContainerStatus.healthy(0)))));
        endpoint.acquire(null);
        endpoint.acquire(null);

        CompletableFuture<Endpoint.Lease> refused = endpoint.admit(null);

        assertThat(refused).isCompletedExceptionally();
        assertThatThrownBy(refused::join).hasCauseInstanceOf(ThrottlingException.class);
    }

    @Test
    void aFullEndpointOfShortRequestsLetsALineWaitAndHandsItTheNextFreePlaceInTurn() {
        Instance only = instance("i-1", 2, ContainerStatus.healthy(0));
        Endpoint endpoint = new Endpoint("e", List.of(variant("v", 1, only)));
        // 2 places freeing up every 9 ms: in the 500 ms burst budget, 111 may wait.
        finishOneTaking(endpoint, Duration.ofMillis(9));
        List<Endpoint.Lease> held = List.of(endpoint.acquire(null), endpoint.acquire(null));

        List<CompletableFuture<Endpoint.Lease>> waiting = admitMany(endpoint, 112);

        assertThat(waiting.subList(0, 111)).allSatisfy(w -> assertThat(w).isNotDone());
        assertThat(endpoint.variants().get(0).waiting()).isEqualTo(111);
        assertThatThrownBy(waiting.get(111)::join)
                .as("the line holds what the burst budget serves; past it, refused at once")
                .hasCauseInstanceOf(ThrottlingException.class);
        assertThatThrownBy(() -> endpoint.acquire(null))
                .as("a newcomer does not take a place ahead of the line")
                .isInstanceOf(ThrottlingException.class);

        held.get(0).release();
        assertThat(waiting.get(0)).isCompletedWithValueMatching(lease -> lease.instance() == only);
        assertThat(waiting.get(1)).isNotDone();
        assertThat(only.outstanding()).isEqualTo(2);
    }

    @Test
    void aLineThatKeepsFillingUpIsOverloadAndStaysShortUntilASecondPassesWithoutARefusal() {
        MovableTicker ticker = new MovableTicker();
        Instance only = instance("i-1", 2, ContainerStatus.healthy(0));
        Endpoint endpoint = new Endpoint("e", List.of(variant("v", only, ticker)));
        // 2 places every 9 ms: 4 wait within the 20 ms budget, 111 within the 500 ms burst budget.
        finishOneTaking(endpoint, Duration.ofMillis(9));
        List<Endpoint.Lease> held = new ArrayList<>(List.of(endpoint.acquire(null), endpoint.acquire(null)));
        List<CompletableFuture<Endpoint.Lease>> line = new ArrayList<>(admitMany(endpoint, 111));
        // For 100 ms the places serve the line at their pace (2 per 9 ms), and arrivals keep
        // meeting it full: overload, not a burst.
        int served = 0;
        for (int ms = 0; ms <= 100; ms += 20) {
            for (int i = 0; i < 4; i++) {
                serveOne(held, line.get(served++));
            }
            List<CompletableFuture<Endpoint.Lease>> arrivals = admitMany(endpoint, 5);
            assertThat(arrivals.get(4)).isCompletedExceptionally();
            line.addAll(arrivals.subList(0, 4));
            ticker.advance(Duration.ofMillis(20));
        }

        // The line drains; while it is longer than the short bound, newcomers are refused.
        while (endpoint.variants().get(0).waiting() > 4) {
            serveOne(held, line.get(served++));
            ticker.advance(Duration.ofMillis(5));
            assertThat(endpoint.admit(null)).isCompletedExceptionally();
        }
        serveOne(held, line.get(served));
        assertThat(endpoint.admit(null)).as("3 wait: room in the short line").isNotDone();
        assertThat(endpoint.admit(null)).as("4 wait: the short line is full").isCompletedExceptionally();

        // A second without a refusal: the arrivals fit again, and a burst may fill the long line.
        ticker.advance(AdmissionLine.CALM);
        assertThat(admitMany(endpoint, 107)).noneMatch(CompletableFuture::isDone);
        assertThat(endpoint.variants().get(0).waiting()).isEqualTo(111);
    }

    @Test
    void aStalledContainerIsNotOverloadTheLineStaysLongAndDrainsOnceItServesAgain() {
        MovableTicker ticker = new MovableTicker();
        Endpoint endpoint =
                new Endpoint("e", List.of(variant("v", instance("i-1", 2, ContainerStatus.healthy(0)), ticker)));
        finishOneTaking(endpoint, Duration.ofMillis(9));
        List<Endpoint.Lease> held = new ArrayList<>(List.of(endpoint.acquire(null), endpoint.acquire(null)));
        List<CompletableFuture<Endpoint.Lease>> line = admitMany(endpoint, 111);
        // Nothing is served for 600 ms while requests keep arriving: all past the long line refused.
        for (int ms = 0; ms <= 600; ms += 10) {
            assertThat(endpoint.admit(null)).isCompletedExceptionally();
            ticker.advance(Duration.ofMillis(10));
        }

        // It serves again: the long line takes newcomers as it drains.
        serveOne(held, line.get(0));
        serveOne(held, line.get(1));
        assertThat(endpoint.admit(null)).as("110 wait: room in the long line").isNotDone();
        assertThat(endpoint.variants().get(0).waiting()).isEqualTo(110);
    }

    @Test
    void theOverflowOfABurstIsRefusedAndTheLineStaysLongForTheNext() {
        MovableTicker ticker = new MovableTicker();
        Endpoint endpoint =
                new Endpoint("e", List.of(variant("v", instance("i-1", 2, ContainerStatus.healthy(0)), ticker)));
        finishOneTaking(endpoint, Duration.ofMillis(9));
        List<Endpoint.Lease> held = new ArrayList<>(List.of(endpoint.acquire(null), endpoint.acquire(null)));
        List<CompletableFuture<Endpoint.Lease>> burst = admitMany(endpoint, 120);
        assertThat(burst.subList(111, 120)).allMatch(CompletableFuture::isCompletedExceptionally);

        // The line drains at once after the burst; newcomers join behind it.
        ticker.advance(Duration.ofMillis(5));
        serveOne(held, burst.get(0));
        assertThat(endpoint.admit(null)).as("110 wait: room in the long line").isNotDone();
        ticker.advance(Duration.ofMillis(200));
        serveOne(held, burst.get(1));
        assertThat(endpoint.admit(null)).as("a second burst within the second").isNotDone();
    }

    @Test
    void aBurstThatFitsTheLineIsServedAndRefusesNone() {
        MovableTicker ticker = new MovableTicker();
        Endpoint endpoint =
                new Endpoint("e", List.of(variant("v", instance("i-1", 2, ContainerStatus.healthy(0)), ticker)));
        finishOneTaking(endpoint, Duration.ofMillis(9));
        List<Endpoint.Lease> held = new ArrayList<>(List.of(endpoint.acquire(null), endpoint.acquire(null)));

        for (int round = 0; round < 3; round++) {
            List<CompletableFuture<Endpoint.Lease>> burst = admitMany(endpoint, 100);
            for (CompletableFuture<Endpoint.Lease> waiter : burst) {
                ticker.advance(Duration.ofMillis(5));
                serveOne(held, waiter);
            }
            assertThat(burst).as("round %d", round).allMatch(w -> !w.isCompletedExceptionally());
        }
    }

    private static List<CompletableFuture<Endpoint.Lease>> admitMany(Endpoint endpoint, int count) {
        List<CompletableFuture<Endpoint.Lease>> admitted = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            admitted.add(endpoint.admit(null));
        }
        return admitted;
    }

    /**
     * Ends the oldest request held, as if it took 9 ms, which hands its place to {@code next}, now
     * held in its turn.
     */
    private static void serveOne(List<Endpoint.Lease> held, CompletableFuture<Endpoint.Lease> next) {
        Endpoint.Lease oldest = held.remove(0);
        oldest.variant().release(oldest.instance(), Duration.ofMillis(9).toNanos());
        assertThat(next).isCompleted();
        held.add(next.join());
    }

    @Test
    void requestsLongerThanTheBudgetGetNoLineAPauseIsAbsorbedByTheirOwnTime() {
        Endpoint endpoint = new Endpoint("e", List.of(variant("v", 1, instance("i-1", 8, ContainerStatus.healthy(0)))));
        finishOneTaking(endpoint, Duration.ofMillis(50));
        for (int i = 0; i < 8; i++) {
            endpoint.acquire(null);
        }

        assertThat(endpoint.admit(null)).isCompletedExceptionally();
        assertThat(endpoint.variants().get(0).waiting()).isZero();
    }

    @Test
    void aWaitEndsInThrottlingAfterTheDeadline() {
        Endpoint endpoint = new Endpoint("e", List.of(variant("v", 1, instance("i-1", 1, ContainerStatus.healthy(0)))));
        finishOneTaking(endpoint, Duration.ofMillis(10));
        endpoint.acquire(null);
        long start = System.nanoTime();

        CompletableFuture<Endpoint.Lease> waiting = endpoint.admit(null);

        assertThatThrownBy(() -> waiting.get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(ThrottlingException.class)
                .hasMessageContaining("Endpoint e is at capacity");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Variant.DEADLINE);
        assertThat(endpoint.variants().get(0).waiting()).isZero();
    }

    @Test
    void veryFastRequestsGetALineOfAtMost64APlace() {
        Endpoint endpoint = new Endpoint("e", List.of(variant("v", 1, instance("i-1", 2, ContainerStatus.healthy(0)))));
        // 1 ms per request: the 500 ms burst budget would serve 2 places x 500 = 1000; the line stops at 64 a place.
        finishOneTaking(endpoint, Duration.ofMillis(1));
        endpoint.acquire(null);
        endpoint.acquire(null);

        List<CompletableFuture<Endpoint.Lease>> waiting = admitMany(endpoint, 129);

        assertThat(endpoint.variants().get(0).waiting()).isEqualTo(128);
        assertThat(waiting.get(127)).isNotDone();
        assertThat(waiting.get(128)).isCompletedExceptionally();
    }

    @Test
    void anInstanceTellsWhenItsLastRequestInFlightEndsWhichADrainWaitsFor() {
        Instance only = instance("i-1", 4, ContainerStatus.healthy(0));
        Endpoint endpoint = new Endpoint("e", List.of(variant("v", 1, only)));
        assertThat(only.drained()).as("nothing in flight").isDone();
        Endpoint.Lease first = endpoint.acquire(null);
        Endpoint.Lease second = endpoint.acquire(null);

        CompletableFuture<Void> drained = only.drained();

        first.release();
        assertThat(drained).isNotDone();
        second.release();
        assertThat(drained).isDone();
    }

    /** Serves one request that held its place for {@code took}: the variant learns its service time. */
    private static void finishOneTaking(Endpoint endpoint, Duration took) {
        Endpoint.Lease lease = endpoint.acquire(null);
        // Exactly that long, whatever the machine's clock did meanwhile (a pause under load once
        // made the mean longer, and the line's bounds shorter than the test expects).
        lease.variant().release(lease.instance(), took.toNanos());
    }

    @Test
    void unhealthyInstancesTakeNoTrafficAndTheErrorSaysWhetherTheyAreStartingOrFailing() {
        Instance starting = instance("i-1", 4, new ContainerStatus(ContainerStatus.Phase.STARTING, null, 0));
        assertThatThrownBy(() -> new Endpoint("e", List.of(variant("v", 1, starting))).acquire(null))
                .isInstanceOf(ModelNotReadyException.class)
                .hasMessageContaining("is starting");

        Instance failing = instance("i-2", 4, new ContainerStatus(ContainerStatus.Phase.UNHEALTHY, "exited 3", 1));
        assertThatThrownBy(() -> new Endpoint("e", List.of(variant("v", 1, failing))).acquire(null))
                .isInstanceOf(ServiceUnavailableException.class)
                .hasMessageContaining("exited 3");

        Instance healthy = instance("i-3", 4, ContainerStatus.healthy(0));
        Endpoint mixed = new Endpoint("e", List.of(variant("v", 1, failing, healthy)));
        for (int i = 0; i < 4; i++) {
            assertThat(mixed.acquire(null).instance()).isSameAs(healthy);
        }
    }

    @Test
    void variantsAreDrawnByWeightAndANamedVariantIsHonouredOrRefused() {
        Endpoint endpoint = new Endpoint(
                "e",
                List.of(
                        variant("heavy", 3, instance("i-1", 10_000, ContainerStatus.healthy(0))),
                        variant("light", 1, instance("i-2", 10_000, ContainerStatus.healthy(0)))));
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 8_000; i++) {
            counts.merge(endpoint.acquire(null).variant().name(), 1, Integer::sum);
        }
        assertThat(counts.get("heavy")).isBetween(5_600, 6_400);
        assertThat(counts.get("light")).isBetween(1_600, 2_400);

        assertThat(endpoint.acquire("light").variant().name()).isEqualTo("light");
        assertThatThrownBy(() -> endpoint.acquire("nope"))
                .isInstanceOf(ValidationException.class)
                .hasMessage("Target variant nope does not exist on endpoint e; its variants are heavy, light.");
    }

    @Test
    void aFullVariantHandsTheRequestToAnotherAndOnlyAllFullIsThrottled() {
        Endpoint endpoint = new Endpoint(
                "e",
                List.of(
                        variant("a", 1, instance("i-1", 1, ContainerStatus.healthy(0))),
                        variant("b", 1, instance("i-2", 1, ContainerStatus.healthy(0)))));

        List<String> served = List.of(
                endpoint.acquire(null).variant().name(),
                endpoint.acquire(null).variant().name());

        assertThat(served).containsExactlyInAnyOrder("a", "b");
        assertThatThrownBy(() -> endpoint.acquire(null))
                .isInstanceOf(ThrottlingException.class)
                .hasMessageStartingWith("Endpoint e is at capacity: variants ")
                .hasMessageContaining("have 2 request(s) in flight");
    }

    @Test
    void asynchronousWorkHasItsOwnBoundAndSkipsFullInstances() {
        Instance only = instance("i-1", 1, ContainerStatus.healthy(0));
        Endpoint endpoint = new Endpoint("e", List.of(variant("v", 1, only)));

        assertThat(endpoint.acquireBelow(2)).isNotNull();
        assertThat(endpoint.acquireBelow(2))
                .as("the async bound, not the real-time one")
                .isNotNull();
        assertThat(endpoint.acquireBelow(2)).isNull();
    }

    private static Variant variant(String name, double weight, Instance... instances) {
        return new Variant(
                name,
                new PipelineDefinition("m", ExecutionMode.SERIAL, List.of(InFlightLimitTest.builtin())),
                List.of(instances),
                weight,
                TIMERS);
    }

    /** A variant whose admission line reads the time from {@code ticker}. */
    private static Variant variant(String name, Instance instance, MovableTicker ticker) {
        return new Variant(
                name,
                new PipelineDefinition("m", ExecutionMode.SERIAL, List.of(InFlightLimitTest.builtin())),
                List.of(instance),
                1,
                new AdmissionLine(TIMERS, ticker),
                null);
    }

    /** Nanoseconds that stand still until the test moves them. */
    private static final class MovableTicker implements LongSupplier {
        private long now;

        void advance(Duration duration) {
            now += duration.toNanos();
        }

        @Override
        public long getAsLong() {
            return now;
        }
    }

    private static Instance instance(String id, int maxInFlight, ContainerStatus status) {
        return new Instance(id, List.of(new FixedContainer(status)), maxInFlight);
    }

    /** A container whose status is fixed and which answers every request with an empty body. */
    private record FixedContainer(ContainerStatus status) implements RunningContainer {
        @Override
        public String hostname() {
            return "c";
        }

        @Override
        public AsyncStage stage() {
            return request -> CompletableFuture.completedFuture(StageResponse.of(request.body(), null));
        }

        @Override
        public List<LogLine> logs() {
            return List.of();
        }

        @Override
        public void close() {}
    }
}
