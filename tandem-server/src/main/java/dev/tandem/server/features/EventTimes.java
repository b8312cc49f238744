package dev.tandem.server.features;

import dev.tandem.core.error.ValidationException;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;

/**
 * Event times as the feature store takes them: a String feature in ISO-8601 UTC ({@code
 * yyyy-MM-dd'T'HH:mm:ssZ} or with milliseconds), or a Fractional one in seconds since the epoch
 * (millisecond precision). Both become an {@link Instant}, truncated to milliseconds.
 */
final class EventTimes {
    private static final Instant EARLIEST = Instant.parse("0000-01-01T00:00:00Z");
    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999Z");

    private EventTimes() {}

    static Instant parse(String feature, FeatureType type, String value) {
        Instant time;
        try {
            time = type == FeatureType.FRACTIONAL
                    ? Instant.ofEpochMilli(
                            new BigDecimal(value.trim()).movePointRight(3).longValue())
                    : Instant.parse(value.trim()).truncatedTo(ChronoUnit.MILLIS);
        } catch (DateTimeParseException | NumberFormatException | ArithmeticException e) {
            throw new ValidationException("The event time '" + value + "' of feature " + feature + " is not "
                    + (type == FeatureType.FRACTIONAL
                            ? "a number of seconds since 1970-01-01T00:00:00Z."
                            : "an ISO-8601 UTC time such as 2024-05-02T10:00:00Z or 2024-05-02T10:00:00.123Z."));
        }
        if (time.isBefore(EARLIEST) || time.isAfter(LATEST)) {
            throw new ValidationException(
                    "The event time '" + value + "' of feature " + feature + " is outside 0000-01-01 to 9999-12-31.");
        }
        return time;
    }

    /** A time as a value of an event-time feature of {@code type}: seconds for Fractional, else ISO. */
    static String format(FeatureType type, Instant time) {
        return type == FeatureType.FRACTIONAL
                ? BigDecimal.valueOf(time.toEpochMilli(), 3).toPlainString()
                : format(time);
    }

    /** The service's ISO string for an expiry time. */
    static String format(Instant time) {
        return DateTimeFormatter.ISO_INSTANT.format(time.truncatedTo(ChronoUnit.MILLIS));
    }
}
