package dev.tandem.core.stage;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** Content-type matching and {@code Accept} negotiation for stages, per RFC 9110. */
public final class MediaTypes {
    public static final String CSV = "text/csv";
    public static final String JSON = "application/json";
    public static final String JSON_LINES = "application/jsonlines";
    public static final String LIBSVM = "text/libsvm";
    public static final String TEXT = "text/plain";

    private MediaTypes() {}

    /** The type without parameters, lower-cased: {@code "text/csv; charset=utf-8"} → {@code "text/csv"}. */
    public static String essence(String contentType) {
        int semicolon = contentType.indexOf(';');
        String type = semicolon < 0 ? contentType : contentType.substring(0, semicolon);
        return type.strip().toLowerCase(Locale.ROOT);
    }

    /** Whether {@code contentType} is one of {@code types} (ignoring parameters and case). */
    public static boolean isOneOf(String contentType, List<String> types) {
        String essence = essence(contentType);
        return types.stream().anyMatch(type -> essence(type).equals(essence));
    }

    /**
     * The type, out of {@code offered} (in order of the producer's preference), that the client's
     * {@code Accept} header prefers; the first offered when {@code accept} is absent or blank, empty
     * when the client accepts none of them. Quality values rank ranges; among equal ranks the
     * producer's order decides.
     */
    public static Optional<String> negotiate(@Nullable String accept, List<String> offered) {
        if (offered.isEmpty()) {
            return Optional.empty();
        }
        if (accept == null || accept.isBlank()) {
            return Optional.of(offered.get(0));
        }
        List<Range> ranges = new ArrayList<>();
        for (String part : accept.split(",", -1)) {
            Range range = Range.parse(part);
            if (range != null) {
                ranges.add(range);
            }
        }
        record Choice(String type, double quality, int order) {}
        List<Choice> choices = new ArrayList<>();
        for (int i = 0; i < offered.size(); i++) {
            String type = offered.get(i);
            double quality = ranges.stream()
                    .filter(range -> range.matches(type))
                    .max(Comparator.comparingInt(Range::specificity))
                    .map(Range::quality)
                    .orElse(0.0);
            if (quality > 0) {
                choices.add(new Choice(type, quality, i));
            }
        }
        return choices.stream()
                .max(Comparator.comparingDouble(Choice::quality)
                        .thenComparing(Comparator.comparingInt(Choice::order).reversed()))
                .map(Choice::type);
    }

    private record Range(String type, String subtype, double quality) {
        static @Nullable Range parse(String text) {
            String[] parts = text.split(";", -1);
            String essence = essence(parts[0]);
            int slash = essence.indexOf('/');
            if (essence.isEmpty() || slash < 0) {
                return null;
            }
            double quality = 1.0;
            for (int i = 1; i < parts.length; i++) {
                String parameter = parts[i].strip();
                if (parameter.startsWith("q=")) {
                    try {
                        quality = Double.parseDouble(parameter.substring(2));
                    } catch (NumberFormatException e) {
                        quality = 0;
                    }
                }
            }
            return new Range(essence.substring(0, slash), essence.substring(slash + 1), quality);
        }

        boolean matches(String offered) {
            String essence = essence(offered);
            int slash = essence.indexOf('/');
            String offeredType = essence.substring(0, Math.max(slash, 0));
            String offeredSubtype = essence.substring(slash + 1);
            return (type.equals("*") || type.equals(offeredType))
                    && (subtype.equals("*") || subtype.equals(offeredSubtype));
        }

        int specificity() {
            return (type.equals("*") ? 0 : 1) + (subtype.equals("*") ? 0 : 1);
        }
    }
}
