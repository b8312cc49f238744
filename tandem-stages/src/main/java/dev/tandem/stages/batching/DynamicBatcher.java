package dev.tandem.stages.batching;

import dev.tandem.core.error.ThrottlingException;
import dev.tandem.core.stage.StageException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * Coalesces concurrent requests to a model into one model call (dynamic batching, as Triton's
 * scheduler does): a model that predicts 32 rows in one call costs far less than 32 calls of one
 * row, because each call pays the native crossing, the runtime's dispatch and the kernels' start-up.
 *
 * <p>A request waits in a bounded queue. A worker takes the oldest request and every later one of
 * the same {@linkplain #call shape} while their rows fit in {@link BatchPolicy#maxBatchSize()};
 * it runs them as soon as the batch is full or the oldest has waited {@link
 * BatchPolicy#maxQueueDelay()}. Requests of another shape wait for a batch of their own, in order.
 * A request with more rows than a batch holds runs alone.
 *
 * <p>Errors stay with their request: when a batch call fails, each of its requests is run alone,
 * so one bad request fails by itself with the model's own message and the others are answered.
 *
 * @param <I> what one request gives the model (its parsed rows)
 * @param <O> what the model answers one request
 */
public final class DynamicBatcher<I, O> implements AutoCloseable {

    /** The model, called with many requests' inputs at once. */
    @FunctionalInterface
    public interface Model<I, O> {
        /**
         * Predicts every input in one call; answers one output per input, in the same order.
         *
         * @throws RuntimeException ({@link StageException} for a model's refusal) when the call fails
         */
        List<O> predict(List<I> inputs);
    }

    private record Pending<I, O>(I input, int rows, Object shape, long enqueuedNanos, CompletableFuture<O> answer) {}

    private final String name;
    private final Model<I, O> model;
    private final BatchPolicy policy;
    private final long delayNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    private final ArrayDeque<Pending<I, O>> queue = new ArrayDeque<>();
    private final List<Thread> workers = new ArrayList<>();
    private boolean closed;
    private final LongAdder modelCalls = new LongAdder();
    private final LongAdder requestsAnswered = new LongAdder();

    /**
     * Starts the workers.
     *
     * @param name what the batcher serves, in thread names and error messages ({@code builtin:onnx})
     */
    public DynamicBatcher(String name, BatchPolicy policy, Model<I, O> model) {
        if (!policy.enabled()) {
            throw new IllegalArgumentException("batching is off in " + policy);
        }
        this.name = name;
        this.policy = policy;
        this.model = model;
        this.delayNanos = policy.maxQueueDelay().toNanos();
        for (int i = 0; i < policy.workers(); i++) {
            // Platform threads: the model is native code, and a JNI call would pin a virtual thread.
            workers.add(Thread.ofPlatform()
                    .name("batch-" + name + "-" + i)
                    .daemon(true)
                    .start(this::work));
        }
    }

    /**
     * Predicts {@code input} within a batch and waits for its answer.
     *
     * @param rows how many rows {@code input} holds (its size along the batch axis)
     * @param shape what must be equal for requests to share a model call (their shapes apart from
     *     the batch axis)
     * @throws ThrottlingException when the queue is full
     * @throws StageException or another runtime exception, as the model failed on this request
     */
    public O call(I input, int rows, Object shape) {
        Pending<I, O> pending = new Pending<>(input, rows, shape, System.nanoTime(), new CompletableFuture<>());
        lock.lock();
        try {
            if (closed) {
                throw new StageException(503, name + " is stopping");
            }
            if (queue.size() >= policy.maxQueueSize()) {
                throw new ThrottlingException("Too many requests are waiting for " + name + "'s batches ("
                        + policy.maxQueueSize() + ", TANDEM_MAX_QUEUE_SIZE); retry with backoff.");
            }
            queue.addLast(pending);
            arrived.signal();
        } finally {
            lock.unlock();
        }
        try {
            return pending.answer().get();
        } catch (ExecutionException e) {
            throw rethrown(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pending.answer().cancel(false);
            throw new StageException(503, "interrupted while waiting for " + name + "'s batch", e);
        }
    }

    private static RuntimeException rethrown(@Nullable Throwable failure) {
        Throwable cause = failure instanceof CompletionException wrapped && wrapped.getCause() != null
                ? wrapped.getCause()
                : failure;
        if (cause == null) {
            return new StageException(500, "the batch failed without a cause");
        }
        if (cause instanceof RuntimeException runtime) {
            return runtime;
        }
        if (cause instanceof Error error) {
            throw error;
        }
        return new StageException(500, String.valueOf(cause.getMessage()), cause);
    }

    private void work() {
        while (true) {
            List<Pending<I, O>> batch;
            try {
                batch = nextBatch();
            } catch (InterruptedException e) {
                return;
            }
            if (batch.isEmpty()) {
                return;
            }
            run(batch);
        }
    }

    /** The next batch to run, once it is full or its oldest request has waited long enough; empty once closed. */
    private List<Pending<I, O>> nextBatch() throws InterruptedException {
        lock.lock();
        try {
            while (true) {
                if (closed) {
                    return List.of();
                }
                Pending<I, O> head = queue.peekFirst();
                while (head != null && head.answer().isDone()) {
                    // Its caller gave up.
                    queue.pollFirst();
                    head = queue.peekFirst();
                }
                if (head == null) {
                    arrived.await();
                    continue;
                }
                long waited = System.nanoTime() - head.enqueuedNanos();
                if (waited >= delayNanos || full(head)) {
                    return take(head);
                }
                arrived.awaitNanos(delayNanos - waited);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Whether the requests queued with {@code head}'s shape fill a batch, or the next would not fit. */
    private boolean full(Pending<I, O> head) {
        int rows = 0;
        for (Pending<I, O> pending : queue) {
            if (!pending.answer().isDone() && pending.shape().equals(head.shape())) {
                if (rows > 0 && rows + pending.rows() > policy.maxBatchSize()) {
                    return true;
                }
                rows += pending.rows();
                if (rows >= policy.maxBatchSize()) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Removes {@code head} and the later requests of its shape that fit with it. */
    private List<Pending<I, O>> take(Pending<I, O> head) {
        List<Pending<I, O>> batch = new ArrayList<>();
        int rows = 0;
        for (Iterator<Pending<I, O>> it = queue.iterator(); it.hasNext(); ) {
            Pending<I, O> pending = it.next();
            if (pending.answer().isDone()) {
                it.remove();
                continue;
            }
            if (!pending.shape().equals(head.shape())) {
                continue;
            }
            if (!batch.isEmpty() && rows + pending.rows() > policy.maxBatchSize()) {
                break;
            }
            it.remove();
            batch.add(pending);
            rows += pending.rows();
            if (rows >= policy.maxBatchSize()) {
                break;
            }
        }
        return batch;
    }

    private void run(List<Pending<I, O>> batch) {
        try {
            List<O> answers = predict(batch);
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).answer().complete(answers.get(i));
            }
            requestsAnswered.add(batch.size());
        } catch (RuntimeException | Error failure) {
            if (batch.size() == 1) {
                batch.get(0).answer().completeExceptionally(failure);
                return;
            }
            // Find out whose request failed: each alone, so the others still get their answers.
            for (Pending<I, O> pending : batch) {
                run(List.of(pending));
            }
        }
    }

    private List<O> predict(List<Pending<I, O>> batch) {
        List<I> inputs = new ArrayList<>(batch.size());
        for (Pending<I, O> pending : batch) {
            inputs.add(pending.input());
        }
        modelCalls.increment();
        List<O> answers = Objects.requireNonNull(model.predict(inputs), "answers");
        if (answers.size() != inputs.size()) {
            throw new IllegalStateException(
                    name + " answered " + answers.size() + " requests of a batch of " + inputs.size());
        }
        return answers;
    }

    /** How many times the model has been called, batches and retries alone alike. */
    public long modelCalls() {
        return modelCalls.sum();
    }

    /** How many requests have had their answer; with {@link #modelCalls()}, the mean batch. */
    public long requestsAnswered() {
        return requestsAnswered.sum();
    }

    /** How many requests wait for a batch now. */
    int queued() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /** Stops the workers after their current call; requests still waiting are refused. */
    @Override
    public void close() {
        List<Pending<I, O>> left;
        lock.lock();
        try {
            closed = true;
            left = new ArrayList<>(queue);
            queue.clear();
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
        for (Pending<I, O> pending : left) {
            pending.answer().completeExceptionally(new StageException(503, name + " is stopping"));
        }
        for (Thread worker : workers) {
            try {
                worker.join(TimeUnit.SECONDS.toMillis(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
