package dev.tandem.server.endpoint;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The requests waiting for a place on a variant's instances: a short, bounded line, served first
 * come first served, each waiter with its own deadline.
 *
 * <p>Why a line at all: refusing the moment every place is taken also refuses the request that
 * arrives a millisecond before one frees up, which a half-loaded endpoint sees now and then from
 * chance bunching or a pause of the machine. A line sized to a short wait ({@link
 * Variant#awaitPlace}) absorbs that and adds little to a request under overload — where
 * everything past the line is still refused at once.
 *
 * <p>A waiter gets a place from {@link #serve}, called whenever a place may have freed up; one
 * whose deadline passes first is answered with an empty result.
 */
final class AdmissionLine {
    private final ScheduledExecutorService timers;
    private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
    /** {@code waiting.size()}, readable without the lock: every request asks whether anyone waits. */
    private volatile int size;

    AdmissionLine(ScheduledExecutorService timers) {
        this.timers = timers;
    }

    /** One request in the line: completed with an instance, or empty when its wait ran out. */
    private static final class Waiter {
        final CompletableFuture<Optional<Instance>> place = new CompletableFuture<>();

        @Nullable
        ScheduledFuture<?> deadline;
    }

    int length() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /**
     * Joins the line when fewer than {@code bound} are waiting.
     *
     * @return the waiter's place, empty once {@code maxWait} passes; null when the line is full
     */
    @Nullable
    CompletableFuture<Optional<Instance>> join(int bound, Duration maxWait) {
        Waiter waiter = new Waiter();
        synchronized (this) {
            if (waiting.size() >= bound) {
                return null;
            }
            waiting.addLast(waiter);
            size = waiting.size();
        }
        waiter.deadline = timers.schedule(
                () -> {
                    synchronized (this) {
                        waiting.remove(waiter);
                        size = waiting.size();
                    }
                    waiter.place.complete(Optional.empty());
                },
                maxWait.toNanos(),
                TimeUnit.NANOSECONDS);
        return waiter.place;
    }

    /**
     * Hands free places to the waiters at the front of the line, as long as {@code take} finds one
     * (it takes the place, or returns null). A place taken for a waiter that has just given up is
     * handed to the next one, or given back through {@code giveBack}.
     */
    void serve(Supplier<@Nullable Instance> take, java.util.function.Consumer<Instance> giveBack) {
        while (true) {
            Waiter waiter;
            synchronized (this) {
                waiter = waiting.peekFirst();
            }
            if (waiter == null) {
                return;
            }
            Instance instance = take.get();
            if (instance == null) {
                return;
            }
            synchronized (this) {
                waiting.remove(waiter);
                size = waiting.size();
            }
            ScheduledFuture<?> deadline = waiter.deadline;
            if (deadline != null) {
                deadline.cancel(false);
            }
            if (!waiter.place.complete(Optional.of(instance))) {
                giveBack.accept(instance);
            }
        }
    }

    /** Fails every waiter with {@code error}. */
    void failAll(RuntimeException error) {
        for (Waiter waiter : drain()) {
            waiter.place.completeExceptionally(error);
        }
    }

    private synchronized Waiter[] drain() {
        Waiter[] all = waiting.toArray(Waiter[]::new);
        waiting.clear();
        size = 0;
        return all;
    }

    /** Answers every waiter with an empty result: the variant is going away. */
    void closeAll() {
        for (Waiter waiter : drain()) {
            waiter.place.complete(Optional.empty());
        }
    }
}
