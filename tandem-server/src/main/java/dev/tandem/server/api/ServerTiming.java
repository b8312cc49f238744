package dev.tandem.server.api;

import dev.tandem.core.engine.StageTiming;
import java.util.List;

/**
 * The {@code Server-Timing} header of an invocation: one entry per container that ran, with its
 * hostname and milliseconds, then {@code tandem} for the time Tandem itself added.
 */
final class ServerTiming {
    private ServerTiming() {}

    static String header(List<StageTiming> timings, long totalNanos) {
        StringBuilder header = new StringBuilder(32 * (timings.size() + 1));
        long inStages = 0;
        for (StageTiming timing : timings) {
            inStages += timing.nanos();
            entry(header, timing.hostname(), timing.nanos());
        }
        entry(header, "tandem", Math.max(0, totalNanos - inStages));
        return header.toString();
    }

    /**
     * The {@code X-Tandem-Stages} debugging header: what each stage answered — size and content
     * type — to find serialization problems between stages.
     */
    static String stages(List<StageTiming> timings) {
        StringBuilder header = new StringBuilder(48 * timings.size());
        for (StageTiming timing : timings) {
            if (!header.isEmpty()) {
                header.append(", ");
            }
            header.append(timing.hostname()).append(";bytes=").append(timing.responseBytes());
            if (timing.responseContentType() != null) {
                header.append(";type=\"")
                        .append(timing.responseContentType().replace("\"", "'"))
                        .append('"');
            }
        }
        return header.toString();
    }

    private static void entry(StringBuilder header, String name, long nanos) {
        if (!header.isEmpty()) {
            header.append(", ");
        }
        // Milliseconds with three decimals, without String.format's cost on every response.
        long micros = (nanos + 500) / 1_000;
        long fraction = micros % 1_000;
        header.append(name).append(";dur=").append(micros / 1_000).append('.');
        if (fraction < 100) {
            header.append(fraction < 10 ? "00" : "0");
        }
        header.append(fraction);
    }
}
