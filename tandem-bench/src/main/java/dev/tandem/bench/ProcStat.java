package dev.tandem.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The CPU times a process or thread has used, from its {@code /proc/.../stat} line.
 *
 * @param userNanos time in user space
 * @param systemNanos time in the kernel on its behalf
 */
record ProcStat(long userNanos, long systemNanos) {
    /** Linux's USER_HZ, the unit of {@code /proc}'s CPU times: 100 on every common architecture. */
    private static final long CLOCK_TICKS_PER_SECOND = 100;

    private static final long NANOS_PER_TICK = 1_000_000_000L / CLOCK_TICKS_PER_SECOND;

    /** Reads {@code stat}: {@code /proc/PID/stat}, {@code /proc/PID/task/TID/stat} or {@code /proc/self/stat}. */
    static ProcStat read(Path stat) throws IOException {
        String line = Files.readString(stat);
        // The fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
        String[] fields = line.substring(line.lastIndexOf(')') + 2).split(" ", -1);
        return new ProcStat(Long.parseLong(fields[11]) * NANOS_PER_TICK, Long.parseLong(fields[12]) * NANOS_PER_TICK);
    }

    long cpuNanos() {
        return userNanos + systemNanos;
    }
}
