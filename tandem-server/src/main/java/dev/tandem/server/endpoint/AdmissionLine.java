package dev.tandem.server.endpoint;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The requests waiting for a place on a variant's instances: a bounded line, served first come
 * first served, each waiter with its own deadline.
 *
 * <p>Why a line at all: refusing the moment every place is taken also refuses the request that
 * arrives a millisecond before one frees up, which a half-loaded endpoint sees now and then from
 * chance bunching or a pause of the machine. A line absorbs that and, kept short under overload,
 * adds little to a request's latency — everything past it is still refused at once.
 *
 * <p>Two bounds tell a burst from overload, after CoDel's "good queue, bad queue". A burst — the
 * requests held up by a pause of the machine, of a client, of a container — is served within a
 * moment and may fill the line up to its long bound, past which the rest of it is refused. A line
 * that keeps meeting that bound for {@link #CONFIRM} <em>while its places keep serving it</em> is
 * overload: the arrivals outrun the places. From then on the line is held to its short bound and
 * the excess is refused at once, until {@link #CALM} passes without a refusal. A stalled container
 * serves nobody, which is why serving counts: a stall is a burst that has not been served yet, and
 * once the places serve again the long line drains. A burst costs its waiters some latency;
 * sustained overload costs the accepted requests a long wait for {@link #CONFIRM} once, then only
 * the short line's.
 *
 * <p>A waiter gets a place from {@link #serve}, called whenever a place may have freed up; one
 * whose deadline passes first is answered with an empty result. Time comes from {@code ticker}
 * (nanoseconds) and deadlines run on {@code timers}, so that tests drive both.
 */
final class AdmissionLine {
    /** How long the line must keep meeting its long bound before it counts as overload. */
    static final Duration CONFIRM = Duration.ofMillis(100);
    /** How long the line stays short after it last refused a request. */
    static final Duration CALM = Duration.ofSeconds(1);

    private final ScheduledExecutorService timers;
    private final LongSupplier ticker;
    private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
    /** {@code waiting.size()}, readable without the lock: every request asks whether anyone waits. */
    private volatile int size;
    /** Whether the line is held to its short bound: it kept filling up, and has refused since. */
    private boolean overloaded;
    /** Whether it has refused a request yet. */
    private boolean refusedAny;
    /** When it last refused a request, by {@code ticker}. */
    private long lastRefusal;
    /** When the current run of refusals began, by {@code ticker}. */
    private long refusingSince;
    /** How many waiters got a place since the current run of refusals began. */
    private int servedInRun;

    /**
     * How long the line may be, in waiters.
     *
     * @param shortLine under overload
     * @param burstLine otherwise
     * @param servedToConfirm how many waiters the places must serve during {@link #CONFIRM} of
     *     refusals for the line to count as overloaded rather than stalled
     */
    record Bounds(int shortLine, int burstLine, int servedToConfirm) {
        /** No bound at all: serverless requests wait for an instance to start. */
        static final Bounds NONE = new Bounds(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE);
    }

    AdmissionLine(ScheduledExecutorService timers, LongSupplier ticker) {
        this.timers = timers;
        this.ticker = ticker;
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
     * Joins the line when it has room: below its burst line, or its short line while it is
     * overloaded (see the class comment).
     *
     * @return the waiter's place, empty once {@code maxWait} passes; null when the line is full
     */
    @Nullable
    CompletableFuture<Optional<Instance>> join(Bounds bounds, Duration maxWait) {
        Waiter waiter = new Waiter();
        synchronized (this) {
            long now = ticker.getAsLong();
            if (overloaded && calmedDown(now)) {
                // A second without a refusal: the arrivals fit again.
                overloaded = false;
            }
            int bound = overloaded ? Math.min(bounds.shortLine(), bounds.burstLine()) : bounds.burstLine();
            if (waiting.size() >= bound) {
                refused(now, bounds);
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
     * Counts a refusal. Refusals less than {@link #CONFIRM} apart make a run, and a run that lasts
     * {@link #CONFIRM} while the places serve the line is overload; the overflow of a burst ends
     * sooner, and during a stall nobody is served.
     */
    private void refused(long now, Bounds bounds) {
        if (!refusedAny || now - lastRefusal > CONFIRM.toNanos()) {
            refusingSince = now;
            servedInRun = 0;
        } else if (now - refusingSince >= CONFIRM.toNanos() && servedInRun >= bounds.servedToConfirm()) {
            overloaded = true;
        }
        refusedAny = true;
        lastRefusal = now;
    }

    private boolean calmedDown(long now) {
        return !refusedAny || now - lastRefusal >= CALM.toNanos();
    }

    /**
     * Hands free places to the waiters at the front of the line, as long as {@code take} finds one
     * (it takes the place, or returns null). A place taken for a waiter that has just given up is
     * handed to the next one, or given back through {@code giveBack}.
     */
    void serve(Supplier<@Nullable Instance> take, Consumer<Instance> giveBack) {
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
                servedInRun++;
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
