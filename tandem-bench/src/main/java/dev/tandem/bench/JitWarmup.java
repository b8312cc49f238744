package dev.tandem.bench;

import java.util.Locale;

/**
 * A warm-up that lasts until the JIT has settled, not for a fixed time: on two cores a server's
 * compiler threads still take a tenth of its CPU 15 s into a load test and settle after about 30 s
 * (measured with {@code /proc}'s per-thread times). A round measured before that is a round of the
 * compiler's work too, and it lands on whichever configuration happens to run first.
 */
final class JitWarmup {
    /** The compilers' share of the process's CPU below which a pass counts as settled. */
    private static final double SETTLED_SHARE = 0.02;

    private JitWarmup() {}

    /** A CPU time in nanoseconds, read from wherever the benchmark can read it. */
    @FunctionalInterface
    interface Clock {
        long nanos() throws Exception;
    }

    /** One pass of load over everything that will be measured. */
    @FunctionalInterface
    interface Pass {
        void run() throws Exception;
    }

    /**
     * Runs {@code pass} at least twice, and again until in one pass the JIT compilers used less
     * than 2% of the process's CPU, or {@code maxPasses} have run; prints how it went.
     */
    static void untilSettled(Pass pass, Clock compilers, Clock process, int maxPasses) throws Exception {
        double share = 1;
        int passes = 0;
        while (passes < maxPasses && (passes < 2 || share >= SETTLED_SHARE)) {
            long compiling = compilers.nanos();
            long working = process.nanos();
            pass.run();
            passes++;
            share = (compilers.nanos() - compiling) / (double) Math.max(1, process.nanos() - working);
        }
        System.out.printf(
                Locale.ROOT,
                "Warm-up: %d passes; the JIT's share of the server's CPU in the last: %.1f%%%s%n",
                passes,
                100 * share,
                share < SETTLED_SHARE ? "" : " (not settled: the first round may read low)");
    }
}
