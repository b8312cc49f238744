package dev.tandem.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * wrk (Debian's), the load generator in a process of its own: POSTs of a fixed body over kept-alive
 * connections, as fast as each connection is answered. Its figures are read off its report.
 */
final class Wrk {
    private static final Pattern RATE = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern REQUESTS = Pattern.compile("(\\d+) requests in");
    private static final Pattern PERCENTILE =
            Pattern.compile("^\\s+(50|99)(?:\\.000)?%\\s+([0-9.]+)(us|ms|s)\\s*$", Pattern.MULTILINE);
    private static final Pattern ERRORS = Pattern.compile(
            "Non-2xx or 3xx responses:\\s+(\\d+)|Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");

    private final Path script;

    private Wrk(Path script) {
        this.script = script;
    }

    /** A wrk that POSTs {@code bodyBytes} bytes of {@code contentType}; its Lua script goes in {@code folder}. */
    static Wrk posting(Path folder, int bodyBytes, String contentType) throws IOException {
        Path script = folder.resolve("post.lua");
        Files.writeString(
                script,
                """
                wrk.method = "POST"
                wrk.body = string.rep("x", %d)
                wrk.headers["Content-Type"] = "%s"
                """
                        .formatted(bodyBytes, contentType));
        return new Wrk(script);
    }

    /**
     * A wrk that POSTs {@code body} as {@code contentType}, under its own script name in {@code
     * folder}; the body must not hold {@code ]]}, which would end its Lua string.
     */
    static Wrk posting(Path folder, String name, String body, String contentType) throws IOException {
        if (body.contains("]]")) {
            throw new IllegalArgumentException("a body with ]] cannot be a Lua long string");
        }
        Path script = folder.resolve(name + ".lua");
        Files.writeString(
                script,
                """
                wrk.method = "POST"
                wrk.body = [[%s]]
                wrk.headers["Content-Type"] = "%s"
                """
                        .formatted(body, contentType));
        return new Wrk(script);
    }

    /** What one run measured. */
    record Result(double perSecond, double p50Micros, double p99Micros, long errors, long requests) {
        String cell() {
            return String.format(Locale.ROOT, "%,.0f (%.0f / %.0f µs)", perSecond, p50Micros, p99Micros);
        }
    }

    /** Runs wrk against {@code url} with {@code connections} for {@code duration}. */
    Result run(String url, int connections, Duration duration) throws IOException, InterruptedException {
        List<String> command = List.of(
                "wrk",
                "-t",
                Integer.toString(Math.min(connections, 2)),
                "-c",
                Integer.toString(connections),
                "-d",
                duration.toSeconds() + "s",
                "--latency",
                "-s",
                script.toString(),
                url);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String report = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IOException("wrk failed: " + report);
        }
        Matcher rate = RATE.matcher(report);
        if (!rate.find()) {
            throw new IOException("no Requests/sec in wrk's report: " + report);
        }
        double p50 = Double.NaN;
        double p99 = Double.NaN;
        Matcher percentile = PERCENTILE.matcher(report);
        while (percentile.find()) {
            double micros = micros(Double.parseDouble(percentile.group(2)), percentile.group(3));
            if (percentile.group(1).equals("50")) {
                p50 = micros;
            } else {
                p99 = micros;
            }
        }
        long errors = 0;
        Matcher failed = ERRORS.matcher(report);
        while (failed.find()) {
            for (int group = 1; group <= failed.groupCount(); group++) {
                if (failed.group(group) != null) {
                    errors += Long.parseLong(failed.group(group));
                }
            }
        }
        Matcher answered = REQUESTS.matcher(report);
        long requests = answered.find() ? Long.parseLong(answered.group(1)) : 0;
        return new Result(Double.parseDouble(rate.group(1)), p50, p99, errors, requests);
    }

    private static double micros(double value, String unit) {
        return switch (unit) {
            case "us" -> value;
            case "ms" -> value * 1_000;
            default -> value * 1_000_000;
        };
    }
}
