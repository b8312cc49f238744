package dev.tandem.server.api;

import dev.tandem.core.engine.StageTiming;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The {@code Server-Timing} header of an invocation: one entry per container that ran, with its
 * hostname and milliseconds, then {@code tandem} for the time Tandem itself added.
 */
public final class ServerTiming {
    private ServerTiming() {}

    /**
     * The stages' timings as another Tandem server reported them: its {@code Server-Timing} header
     * without the last entry (that server's own time), with each stage's size and type from its
     * {@code X-Tandem-Stages} header when it sent one. Entries it cannot read are left out.
     */
    public static List<StageTiming> parse(@Nullable String serverTiming, @Nullable String stages) {
        if (serverTiming == null) {
            return List.of();
        }
        Map<String, Map<String, String>> answered = new HashMap<>();
        if (stages != null) {
            for (List<String> entry : entries(stages)) {
                answered.put(entry.get(0), parameters(entry));
            }
        }
        List<List<String>> entries = entries(serverTiming);
        List<StageTiming> timings = new ArrayList<>(Math.max(0, entries.size() - 1));
        for (List<String> entry : entries.subList(0, Math.max(0, entries.size() - 1))) {
            String name = entry.get(0);
            Map<String, String> timing = parameters(entry);
            Map<String, String> answer = answered.getOrDefault(name, Map.of());
            try {
                long nanos = Math.round(Double.parseDouble(timing.getOrDefault("dur", "0")) * 1_000_000);
                int bytes = Integer.parseInt(answer.getOrDefault("bytes", "-1"));
                timings.add(new StageTiming(name, nanos, bytes, answer.get("type")));
            } catch (NumberFormatException e) {
                // Not a figure this server wrote: left out rather than guessed.
            }
        }
        return timings;
    }

    /** A header's comma-separated entries, each split at its semicolons; quotes keep both. */
    private static List<List<String>> entries(String header) {
        List<List<String>> entries = new ArrayList<>();
        List<String> entry = new ArrayList<>();
        StringBuilder part = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < header.length(); i++) {
            char c = header.charAt(i);
            if (c == '"') {
                quoted = !quoted;
                part.append(c);
            } else if (!quoted && (c == ';' || c == ',')) {
                entry.add(part.toString().trim());
                part.setLength(0);
                if (c == ',') {
                    entries.add(entry);
                    entry = new ArrayList<>();
                }
            } else {
                part.append(c);
            }
        }
        entry.add(part.toString().trim());
        entries.add(entry);
        entries.removeIf(e -> e.get(0).isEmpty());
        return entries;
    }

    /** An entry's {@code key=value} parameters, quotes taken off the values. */
    private static Map<String, String> parameters(List<String> entry) {
        Map<String, String> parameters = new HashMap<>();
        for (String parameter : entry.subList(1, entry.size())) {
            int equals = parameter.indexOf('=');
            if (equals > 0) {
                String value = parameter.substring(equals + 1).trim();
                if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                    value = value.substring(1, value.length() - 1);
                }
                parameters.put(parameter.substring(0, equals).trim(), value);
            }
        }
        return parameters;
    }

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
     * The {@code Server-Timing} trailer of a streamed invocation: each stage before the streaming
     * ones with its whole time; each streaming stage with the time until its answer began ({@code
     * desc="first part"}); {@code first-part}, from the request's arrival to its first part sent;
     * {@code total}, to its end.
     *
     * @param firstPartNanos -1 when no part was sent
     */
    static String streamed(List<StageTiming> timings, int streamingStages, long firstPartNanos, long totalNanos) {
        StringBuilder header = new StringBuilder(32 * (timings.size() + 2));
        int buffered = timings.size() - streamingStages;
        for (int i = 0; i < timings.size(); i++) {
            StageTiming timing = timings.get(i);
            entry(header, timing.hostname(), timing.nanos());
            if (i >= buffered) {
                header.append(";desc=\"first part\"");
            }
        }
        if (firstPartNanos >= 0) {
            entry(header, "first-part", firstPartNanos);
        }
        entry(header, "total", totalNanos);
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
