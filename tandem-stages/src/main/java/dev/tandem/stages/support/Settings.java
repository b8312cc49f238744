package dev.tandem.stages.support;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A built-in stage's settings, read from its container's {@code Environment}. Every getter fails
 * with a message naming the variable and the value it could not use, which the user sees as the
 * instance's failure reason.
 */
public record Settings(Map<String, String> environment) {

    public Optional<String> string(String name) {
        String value = environment.get(name);
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.strip());
    }

    public String string(String name, String fallback) {
        return string(name).orElse(fallback);
    }

    public int integer(String name, int fallback, int min, int max) {
        Optional<String> value = string(name);
        if (value.isEmpty()) {
            return fallback;
        }
        try {
            int parsed = Integer.parseInt(value.get());
            if (parsed < min || parsed > max) {
                throw invalid(name, value.get(), "a whole number from " + min + " to " + max);
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw invalid(name, value.get(), "a whole number from " + min + " to " + max);
        }
    }

    public double decimal(String name, double fallback) {
        Optional<String> value = string(name);
        if (value.isEmpty()) {
            return fallback;
        }
        try {
            return Double.parseDouble(value.get());
        } catch (NumberFormatException e) {
            throw invalid(name, value.get(), "a number");
        }
    }

    public boolean flag(String name, boolean fallback) {
        Optional<String> value = string(name);
        if (value.isEmpty()) {
            return fallback;
        }
        return switch (value.get().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1" -> true;
            case "false", "no", "0" -> false;
            default -> throw invalid(name, value.get(), "true or false");
        };
    }

    /** One of {@code choices} (case-insensitive), returned lower-cased. */
    public String choice(String name, String fallback, String... choices) {
        Optional<String> value = string(name);
        if (value.isEmpty()) {
            return fallback;
        }
        String lower = value.get().toLowerCase(Locale.ROOT);
        for (String choice : choices) {
            if (choice.equals(lower)) {
                return choice;
            }
        }
        throw invalid(name, value.get(), "one of " + String.join(", ", choices));
    }

    private static IllegalArgumentException invalid(String name, @Nullable String value, String expected) {
        return new IllegalArgumentException("Environment " + name + " must be " + expected + ", got '" + value + "'");
    }
}
