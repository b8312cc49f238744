package dev.tandem.server.features;

import dev.tandem.core.error.ValidationException;
import java.math.BigDecimal;

/** A feature's type as the feature store names it; every value travels as a string and is checked against it. */
public enum FeatureType {
    INTEGRAL("Integral"),
    FRACTIONAL("Fractional"),
    STRING("String");

    /** The longest value the service takes ({@code ValueAsString} max, 350 KB). */
    static final int MAX_VALUE_CHARS = 358_400;

    private final String wireName;

    FeatureType(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public static FeatureType of(String wireName) {
        for (FeatureType type : values()) {
            if (type.wireName.equals(wireName)) {
                return type;
            }
        }
        throw new ValidationException(
                "FeatureType must be one of Integral, Fractional, String; was '" + wireName + "'.");
    }

    /**
     * Checks that {@code value} is one of this type.
     *
     * @throws ValidationException naming the feature and the value
     */
    void check(String feature, String value) {
        if (value.length() > MAX_VALUE_CHARS) {
            throw new ValidationException(
                    "The value of feature " + feature + " is longer than " + MAX_VALUE_CHARS + " characters.");
        }
        switch (this) {
            case INTEGRAL -> {
                if (!isIntegral(value)) {
                    throw new ValidationException("The value '" + value + "' of feature " + feature
                            + " is not Integral (a whole number from -2^63 to 2^63-1).");
                }
            }
            case FRACTIONAL -> {
                if (!isFractional(value)) {
                    throw new ValidationException("The value '" + value + "' of feature " + feature
                            + " is not Fractional (a finite number).");
                }
            }
            case STRING -> {
                // Any UTF-8 text.
            }
        }
    }

    /** A whole number in int64; "5.0" counts, as a data frame's integer column with gaps arrives as floats. */
    private static boolean isIntegral(String value) {
        try {
            Long.parseLong(value.trim());
            return true;
        } catch (NumberFormatException e) {
            try {
                new BigDecimal(value.trim()).longValueExact();
                return true;
            } catch (NumberFormatException | ArithmeticException notWhole) {
                return false;
            }
        }
    }

    private static boolean isFractional(String value) {
        try {
            return Double.isFinite(Double.parseDouble(value.trim()))
                    && !value.trim().endsWith("d")
                    && !value.trim().endsWith("D")
                    && !value.trim().endsWith("f")
                    && !value.trim().endsWith("F");
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
