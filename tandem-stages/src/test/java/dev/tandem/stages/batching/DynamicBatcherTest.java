package dev.tandem.stages.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.core.error.ThrottlingException;
import dev.tandem.core.stage.StageException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class DynamicBatcherTest {
    /** Long enough that a batch in these tests only runs early because it is full. */
    private static final Duration PATIENT = Duration.ofSeconds(20);

    /** Doubles each input; refuses negative ones; remembers every call's inputs. */
    private static final class DoublingModel implements DynamicBatcher.Model<Integer, Integer> {
        final List<List<Integer>> calls = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release;

        DoublingModel(boolean blockFirstCall) {
            this.release = new CountDownLatch(blockFirstCall ? 1 : 0);
        }

        @Override
        public List<Integer> predict(List<Integer> inputs) {
            calls.add(List.copyOf(inputs));
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (int input : inputs) {
                if (input < 0) {
                    throw StageException.badInput("negative: " + input);
                }
            }
            return inputs.stream().map(input -> input * 2).toList();
        }
    }

    @Test
    void concurrentRequestsShareOneModelCallAndEachGetsItsOwnAnswer() throws Exception {
        DoublingModel model = new DoublingModel(false);
        long started = System.nanoTime();
        try (DynamicBatcher<Integer, Integer> batcher =
                        new DynamicBatcher<>("test", new BatchPolicy(8, PATIENT, 100, 1), model);
                ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Integer>> answers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                int input = i;
                answers.add(clients.submit(() -> batcher.call(input, 1, "rows")));
            }
            for (int i = 0; i < 8; i++) {
                assertThat(answers.get(i).get()).isEqualTo(i * 2);
            }
            assertThat(model.calls).hasSize(1);
            assertThat(model.calls.get(0)).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5, 6, 7);
            assertThat(batcher.modelCalls()).isEqualTo(1);
            assertThat(batcher.requestsAnswered()).isEqualTo(8);
        }
        // A full batch runs at once rather than waiting out the delay.
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(PATIENT);
    }

    @Test
    void aBatchNeverHoldsMoreRowsThanTheMaximumAndABiggerRequestRunsAlone() throws Exception {
        DoublingModel model = new DoublingModel(false);
        // The last few may not fill a batch: they run after a short delay.
        try (DynamicBatcher<Integer, Integer> batcher =
                        new DynamicBatcher<>("test", new BatchPolicy(4, Duration.ofMillis(50), 100, 1), model);
                ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Integer>> answers = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                int input = i;
                answers.add(clients.submit(() -> batcher.call(input, 1, "rows")));
            }
            answers.add(clients.submit(() -> batcher.call(100, 6, "rows")));
            for (Future<Integer> answer : answers) {
                answer.get();
            }
            assertThat(model.calls).allSatisfy(call -> assertThat(call.contains(100) ? 1 : call.size())
                    .isLessThanOrEqualTo(4));
            assertThat(model.calls).anySatisfy(call -> assertThat(call).containsExactly(100));
            assertThat(model.calls.stream().mapToInt(List::size).sum()).isEqualTo(13);
        }
    }

    @Test
    void requestsOfAnotherShapeWaitForABatchOfTheirOwn() throws Exception {
        DoublingModel model = new DoublingModel(false);
        try (DynamicBatcher<Integer, Integer> batcher =
                        new DynamicBatcher<>("test", new BatchPolicy(3, PATIENT, 100, 1), model);
                ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Integer>> answers = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                int input = i;
                answers.add(clients.submit(() -> batcher.call(input, 1, input % 2 == 0 ? "even" : "odd")));
            }
            for (int i = 0; i < 6; i++) {
                assertThat(answers.get(i).get()).isEqualTo(i * 2);
            }
            assertThat(model.calls.stream().map(call -> call.stream().sorted().toList()))
                    .containsExactlyInAnyOrder(List.of(0, 2, 4), List.of(1, 3, 5));
        }
    }

    @Test
    void aFailingRequestFailsAloneWithItsOwnErrorAndTheOthersAreAnswered() throws Exception {
        DoublingModel model = new DoublingModel(false);
        try (DynamicBatcher<Integer, Integer> batcher =
                        new DynamicBatcher<>("test", new BatchPolicy(4, PATIENT, 100, 1), model);
                ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Integer> one = clients.submit(() -> batcher.call(1, 1, "rows"));
            Future<Integer> two = clients.submit(() -> batcher.call(2, 1, "rows"));
            Future<Integer> bad = clients.submit(() -> batcher.call(-3, 1, "rows"));
            Future<Integer> four = clients.submit(() -> batcher.call(4, 1, "rows"));

            assertThat(List.of(one.get(), two.get(), four.get())).containsExactly(2, 4, 8);
            assertThatThrownBy(bad::get)
                    .isInstanceOf(ExecutionException.class)
                    .cause()
                    .isInstanceOf(StageException.class)
                    .hasMessage("negative: -3");
            // The batch of four failed, then each was run alone.
            assertThat(model.calls).hasSize(5);
            assertThat(model.calls.get(0)).hasSize(4);
        }
    }

    @Test
    void aLoneRequestIsNotDelayedWithoutADelayAndWaitsOutTheDelayWithOne() {
        DoublingModel model = new DoublingModel(false);
        try (DynamicBatcher<Integer, Integer> eager =
                new DynamicBatcher<>("test", new BatchPolicy(8, Duration.ZERO, 100, 1), model)) {
            assertThat(eager.call(21, 1, "rows")).isEqualTo(42);
        }
        try (DynamicBatcher<Integer, Integer> patient =
                new DynamicBatcher<>("test", new BatchPolicy(8, Duration.ofMillis(200), 100, 1), model)) {
            long started = System.nanoTime();
            assertThat(patient.call(5, 1, "rows")).isEqualTo(10);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(200));
        }
        assertThat(model.calls).containsExactly(List.of(21), List.of(5));
    }

    @Test
    void pastTheQueueBoundRequestsAreRefusedAtOnceAndClosingRefusesWhatStillWaits() throws Exception {
        DoublingModel model = new DoublingModel(true);
        DynamicBatcher<Integer, Integer> batcher =
                new DynamicBatcher<>("builtin:test", new BatchPolicy(2, Duration.ZERO, 2, 1), model);
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Integer> running = clients.submit(() -> batcher.call(1, 1, "rows"));
            assertThat(model.entered.await(10, TimeUnit.SECONDS)).isTrue();
            Future<Integer> second = clients.submit(() -> batcher.call(2, 1, "rows"));
            Future<Integer> third = clients.submit(() -> batcher.call(3, 1, "rows"));
            while (batcher.queued() < 2) {
                Thread.sleep(5);
            }

            assertThatThrownBy(() -> batcher.call(4, 1, "rows"))
                    .isInstanceOf(ThrottlingException.class)
                    .hasMessageContaining("TANDEM_MAX_QUEUE_SIZE");

            Future<?> closing = clients.submit(batcher::close);
            assertThatThrownBy(second::get).cause().hasMessage("builtin:test is stopping");
            assertThatThrownBy(third::get).cause().hasMessage("builtin:test is stopping");
            model.release.countDown();
            assertThat(running.get()).isEqualTo(2);
            closing.get();
            assertThatThrownBy(() -> batcher.call(5, 1, "rows")).hasMessage("builtin:test is stopping");
        }
    }
}
