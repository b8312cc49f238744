package dev.tandem.server.metrics;

import io.micrometer.core.instrument.Clock;
import java.util.concurrent.TimeUnit;

/**
 * The clock observation reads on the request path — Micrometer's registry, and the console's
 * {@link dev.tandem.server.console.TrafficHistory} — with a wall time read from a field, refreshed
 * every {@value #REFRESH_MILLIS} ms by one daemon thread for the whole process (ten wake-ups a
 * second), rather than from the system clock on every call.
 *
 * <p>Why: every {@code Timer.record} reads the wall clock twice — its histogram and its maximum each
 * ask whether their time window should rotate — and a request records three timers through one
 * container, five through three. Those windows are minutes long (the Prometheus histogram's, five
 * years), so a wall time a few milliseconds old decides them exactly as well; a clock read costs
 * 45–50 ns on the KVM clock of the VMs Tandem is measured on, and ten of them are several percent
 * of an in-process pipeline's request. The monotonic time, which measures durations, stays exact.
 */
public final class CoarseClock implements Clock {
    public static final CoarseClock INSTANCE = new CoarseClock();

    static final long REFRESH_MILLIS = 100;

    private volatile long wallMillis = System.currentTimeMillis();

    private CoarseClock() {
        Thread refresher = new Thread(this::refresh, "tandem-coarse-clock");
        refresher.setDaemon(true);
        refresher.start();
    }

    private void refresh() {
        while (true) {
            try {
                TimeUnit.MILLISECONDS.sleep(REFRESH_MILLIS);
            } catch (InterruptedException e) {
                // Nothing of Tandem's interrupts it; were something to, a clock that stopped would
                // stop every time window with it, so it goes on.
            }
            wallMillis = System.currentTimeMillis();
        }
    }

    @Override
    public long wallTime() {
        return wallMillis;
    }

    @Override
    public long monotonicTime() {
        return System.nanoTime();
    }
}
