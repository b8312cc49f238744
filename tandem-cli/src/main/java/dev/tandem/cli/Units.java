package dev.tandem.cli;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.TypeConversionException;

/** Reads durations ({@code 500ms}, {@code 60s}, {@code 10m}) and sizes ({@code 6MB}) from options. */
final class Units {
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(b|kb|kib|mb|mib|gb|gib)?");

    private Units() {}

    static Duration duration(String text) {
        Matcher m = DURATION.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new TypeConversionException(
                    "'" + text + "' is not a duration: write a number with ms, s, m or h (e.g. 60s)");
        }
        long amount = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            default -> Duration.ofHours(amount);
        };
    }

    /** Sizes count in powers of 1024, as SageMaker's "6 MB" payload limit (6,291,456 bytes) does. */
    static long bytes(String text) {
        Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new TypeConversionException(
                    "'" + text + "' is not a size: write bytes, or a number with KB, MB or GB (e.g. 6MB)");
        }
        long amount = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "b" : m.group(2);
        return switch (unit) {
            case "b" -> amount;
            case "kb", "kib" -> amount * 1024;
            case "mb", "mib" -> amount * 1024 * 1024;
            default -> amount * 1024 * 1024 * 1024;
        };
    }
}
