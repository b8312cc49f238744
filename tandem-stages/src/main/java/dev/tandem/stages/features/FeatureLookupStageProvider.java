package dev.tandem.stages.features;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import dev.tandem.core.stage.FeatureSource;
import dev.tandem.core.stage.MediaTypes;
import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.Stage;
import dev.tandem.core.stage.StageContext;
import dev.tandem.core.stage.StageException;
import dev.tandem.core.stage.StageProvider;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.core.stage.StageResponse;
import dev.tandem.stages.support.Settings;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code builtin:feature-lookup}: enriches each request row with features read from the server's
 * feature store, in process — a client sends an identifier, the next stage gets the stored
 * features. All rows of a request are looked up together.
 *
 * <p>Environment:
 *
 * <ul>
 *   <li>{@code TANDEM_FEATURE_GROUP} (required): the feature group; it must exist, with an online
 *       store, when the endpoint starts.
 *   <li>{@code TANDEM_FEATURES}: the features to add, comma-separated, in the order the next stage
 *       wants them; default: every feature but the identifier and the event time, in the group's
 *       order.
 *   <li>{@code TANDEM_RECORD_ID_COLUMN}: for CSV, the identifier's column, from 0 (default 0).
 *   <li>{@code TANDEM_RECORD_ID_FIELD}: for JSON, the identifier's field (default: the group's
 *       record identifier feature name).
 *   <li>{@code TANDEM_KEEP_INPUT}: for CSV, whether a row keeps its own columns before the features
 *       (default false: the row becomes its features). JSON objects always keep their fields.
 *   <li>{@code TANDEM_ON_MISSING}: {@code error} (default: the request fails with 400, naming the
 *       identifiers without a record) or {@code default}: the row gets {@code TANDEM_DEFAULTS}.
 *   <li>{@code TANDEM_DEFAULTS}: with {@code default}, a value per feature, comma-separated, in
 *       {@code TANDEM_FEATURES} order (default: empty cells, JSON null).
 * </ul>
 *
 * <p>Takes and answers CSV, JSON (an object or an array of objects) and JSON Lines, keeping the
 * type. In JSON, Integral and Fractional features become numbers and collections arrays; in CSV a
 * collection's values are joined with {@code ;}.
 */
public final class FeatureLookupStageProvider implements StageProvider {

    @Override
    public String name() {
        return "feature-lookup";
    }

    @Override
    public Stage create(StageContext context) {
        Settings settings = new Settings(context.environment());
        String group = settings.string("TANDEM_FEATURE_GROUP")
                .orElseThrow(() -> new IllegalArgumentException(
                        "TANDEM_FEATURE_GROUP is required: the feature group to read features from"));
        List<String> named = settings.string("TANDEM_FEATURES")
                .map(text ->
                        Arrays.stream(text.split(",", -1)).map(String::strip).toList())
                .orElse(List.of());
        List<String> defaults = settings.string("TANDEM_DEFAULTS")
                .map(text -> Arrays.asList(text.split(",", -1)))
                .orElse(List.of());
        if (!defaults.isEmpty() && !named.isEmpty() && defaults.size() != named.size()) {
            throw new IllegalArgumentException("TANDEM_DEFAULTS has " + defaults.size() + " values for the "
                    + named.size() + " features of TANDEM_FEATURES");
        }
        return new FeatureLookup(
                context.features(),
                group,
                named,
                settings.integer("TANDEM_RECORD_ID_COLUMN", 0, 0, 100_000),
                settings.string("TANDEM_RECORD_ID_FIELD"),
                settings.flag("TANDEM_KEEP_INPUT", false),
                settings.choice("TANDEM_ON_MISSING", "error", "error", "default")
                        .equals("default"),
                defaults);
    }

    /** The features to add: those named, in that order, else all but the identifier and event time. */
    static List<FeatureSource.Feature> features(List<String> named, FeatureSource.Group group) {
        if (named.isEmpty()) {
            return group.features().stream()
                    .filter(f -> !f.name().equals(group.recordIdentifier())
                            && !f.name().equals(group.eventTime()))
                    .toList();
        }
        List<FeatureSource.Feature> chosen = new ArrayList<>();
        for (String wanted : named) {
            chosen.add(group.features().stream()
                    .filter(f -> f.name().equals(wanted))
                    .findFirst()
                    .orElseThrow(() -> new StageException(
                            500,
                            "TANDEM_FEATURES names " + wanted + ", which is not a feature of feature group "
                                    + group.name() + ".")));
        }
        return chosen;
    }

    static final class FeatureLookup implements Stage {
        private static final List<String> TYPES = List.of(MediaTypes.CSV, MediaTypes.JSON, MediaTypes.JSON_LINES);
        private static final ObjectMapper JSON = new ObjectMapper();
        private static final CsvMapper CSV = new CsvMapper().enable(CsvParser.Feature.WRAP_AS_ARRAY);
        private static final int MISSING_NAMED = 5;

        private final FeatureSource source;
        private final String group;
        private final List<String> named;
        private final int idColumn;
        private final Optional<String> idField;
        private final boolean keepInput;
        private final boolean useDefaults;
        private final List<String> defaults;

        FeatureLookup(
                FeatureSource source,
                String group,
                List<String> named,
                int idColumn,
                Optional<String> idField,
                boolean keepInput,
                boolean useDefaults,
                List<String> defaults) {
            this.source = source;
            this.group = group;
            this.named = List.copyOf(named);
            this.idColumn = idColumn;
            this.idField = idField;
            this.keepInput = keepInput;
            this.useDefaults = useDefaults;
            this.defaults = List.copyOf(defaults);
        }

        /**
         * The group as it is now, looked up on each request: the endpoint may start before its
         * group is created, and a group's features may be added while it serves.
         */
        private Lookup resolve() {
            FeatureSource.Group found = source.group(group)
                    .orElseThrow(() -> new StageException(
                            500, "Feature group " + group + " does not exist, or has no online store."));
            List<FeatureSource.Feature> features = features(named, found);
            if (!defaults.isEmpty() && defaults.size() != features.size()) {
                throw new StageException(
                        500,
                        "TANDEM_DEFAULTS has " + defaults.size() + " values for " + features.size() + " features.");
            }
            return new Lookup(
                    features,
                    features.stream().map(FeatureSource.Feature::name).toList(),
                    idField.orElse(found.recordIdentifier()));
        }

        /** One request's view of the group. */
        private record Lookup(List<FeatureSource.Feature> features, List<String> names, String idField) {}

        @Override
        public StageResponse invoke(StageRequest request) {
            String type = request.contentType() == null ? MediaTypes.CSV : MediaTypes.essence(request.contentType());
            Lookup lookup = resolve();
            return switch (type) {
                case MediaTypes.JSON -> StageResponse.of(json(lookup, request.body()), MediaTypes.JSON);
                case MediaTypes.JSON_LINES ->
                    StageResponse.of(jsonLines(lookup, request.body()), MediaTypes.JSON_LINES);
                default -> StageResponse.of(csv(lookup, request.body()), MediaTypes.CSV);
            };
        }

        private Payload csv(Lookup lookup, Payload body) {
            List<List<String>> rows = new ArrayList<>();
            try (var reader = CSV.readerForListOf(String.class).<List<String>>readValues(body.openStream())) {
                while (reader.hasNext()) {
                    List<String> row = reader.next();
                    if (row.size() == 1 && row.get(0).isBlank()) {
                        continue;
                    }
                    if (row.size() <= idColumn) {
                        throw StageException.badInput("Row " + (rows.size() + 1) + " has " + row.size()
                                + " column(s); the record identifier is column " + idColumn + " (from 0).");
                    }
                    rows.add(row);
                }
            } catch (IOException | RuntimeException e) {
                if (e instanceof StageException refused) {
                    throw refused;
                }
                throw StageException.badInput("The request is not valid CSV: " + e.getMessage());
            }
            Map<String, List<FeatureSource.Value>> found =
                    records(lookup, rows.stream().map(row -> row.get(idColumn)).toList());
            StringBuilder out = new StringBuilder();
            for (List<String> row : rows) {
                List<String> cells = new ArrayList<>(keepInput ? row : List.of());
                List<FeatureSource.Value> record = found.get(row.get(idColumn));
                for (int i = 0; i < lookup.names().size(); i++) {
                    cells.add(
                            record == null
                                    ? defaultValue(i)
                                    : csvValue(record, lookup.names().get(i)));
                }
                for (int i = 0; i < cells.size(); i++) {
                    out.append(i == 0 ? "" : ",").append(quoted(cells.get(i)));
                }
                out.append('\n');
            }
            return Payload.utf8(out.toString());
        }

        private Payload json(Lookup lookup, Payload body) {
            JsonNode input = read(body.asUtf8());
            List<ObjectNode> objects = new ArrayList<>();
            if (input instanceof ObjectNode object) {
                objects.add(object);
            } else if (input instanceof ArrayNode array) {
                for (JsonNode element : array) {
                    if (!(element instanceof ObjectNode object)) {
                        throw StageException.badInput("A JSON request is an object or an array of objects.");
                    }
                    objects.add(object);
                }
            } else {
                throw StageException.badInput("A JSON request is an object or an array of objects.");
            }
            enrich(lookup, objects);
            return Payload.utf8(input.toString());
        }

        private Payload jsonLines(Lookup lookup, Payload body) {
            List<ObjectNode> objects = new ArrayList<>();
            for (String line : body.asUtf8().split("\n", -1)) {
                if (line.isBlank()) {
                    continue;
                }
                if (!(read(line) instanceof ObjectNode object)) {
                    throw StageException.badInput("Each JSON Lines line must be an object.");
                }
                objects.add(object);
            }
            enrich(lookup, objects);
            StringBuilder out = new StringBuilder();
            objects.forEach(object -> out.append(object).append('\n'));
            return Payload.utf8(out.toString());
        }

        private void enrich(Lookup lookup, List<ObjectNode> objects) {
            List<String> ids = new ArrayList<>();
            for (ObjectNode object : objects) {
                JsonNode id = object.get(lookup.idField());
                if (id == null || id.isNull() || id.isContainerNode()) {
                    throw StageException.badInput(
                            "An object lacks the record identifier field " + lookup.idField() + ".");
                }
                ids.add(id.asText());
            }
            Map<String, List<FeatureSource.Value>> found = records(lookup, ids);
            for (int o = 0; o < objects.size(); o++) {
                List<FeatureSource.Value> record = found.get(ids.get(o));
                for (int i = 0; i < lookup.features().size(); i++) {
                    FeatureSource.Feature feature = lookup.features().get(i);
                    JsonNode value = record == null ? jsonDefault(i, feature) : jsonValue(record, feature);
                    objects.get(o).set(feature.name(), value);
                }
            }
        }

        /** The records of {@code ids}; fails naming the missing ones unless defaults stand in. */
        private Map<String, List<FeatureSource.Value>> records(Lookup lookup, List<String> ids) {
            Map<String, List<FeatureSource.Value>> found;
            try {
                found = source.records(group, List.copyOf(new LinkedHashSet<>(ids)), lookup.names());
            } catch (IllegalArgumentException e) {
                throw new StageException(500, "Feature lookup in " + group + " failed: " + e.getMessage(), e);
            }
            if (!useDefaults) {
                List<String> missing = ids.stream()
                        .filter(id -> !found.containsKey(id))
                        .distinct()
                        .toList();
                if (!missing.isEmpty()) {
                    throw StageException.badInput("No record in feature group " + group + " for "
                            + String.join(", ", missing.subList(0, Math.min(MISSING_NAMED, missing.size())))
                            + (missing.size() > MISSING_NAMED
                                    ? " and " + (missing.size() - MISSING_NAMED) + " more"
                                    : "")
                            + ".");
                }
            }
            return found;
        }

        private String defaultValue(int index) {
            return defaults.isEmpty() ? "" : defaults.get(index);
        }

        private JsonNode jsonDefault(int index, FeatureSource.Feature feature) {
            if (defaults.isEmpty() || defaults.get(index).isEmpty()) {
                return JsonNodeFactory.instance.nullNode();
            }
            return typed(defaults.get(index), feature);
        }

        private static String csvValue(List<FeatureSource.Value> record, String name) {
            for (FeatureSource.Value value : record) {
                if (value.name().equals(name)) {
                    return value.values() != null ? String.join(";", value.values()) : String.valueOf(value.value());
                }
            }
            return "";
        }

        private static JsonNode jsonValue(List<FeatureSource.Value> record, FeatureSource.Feature feature) {
            for (FeatureSource.Value value : record) {
                if (value.name().equals(feature.name())) {
                    if (value.values() != null) {
                        ArrayNode list = JsonNodeFactory.instance.arrayNode();
                        value.values().forEach(element -> list.add(typed(element, feature)));
                        return list;
                    }
                    return typed(String.valueOf(value.value()), feature);
                }
            }
            return JsonNodeFactory.instance.nullNode();
        }

        private static JsonNode typed(String text, FeatureSource.Feature feature) {
            try {
                return switch (feature.type()) {
                    case "Integral" ->
                        JsonNodeFactory.instance.numberNode(new java.math.BigDecimal(text.strip()).longValueExact());
                    case "Fractional" -> JsonNodeFactory.instance.numberNode(Double.parseDouble(text.strip()));
                    default -> JsonNodeFactory.instance.textNode(text);
                };
            } catch (NumberFormatException | ArithmeticException e) {
                return JsonNodeFactory.instance.textNode(text);
            }
        }

        private static String quoted(String cell) {
            if (cell.indexOf(',') < 0 && cell.indexOf('"') < 0 && cell.indexOf('\n') < 0 && cell.indexOf('\r') < 0) {
                return cell;
            }
            return '"' + cell.replace("\"", "\"\"") + '"';
        }

        private static JsonNode read(String text) {
            try {
                return JSON.readTree(text);
            } catch (IOException e) {
                throw StageException.badInput("The request is not valid JSON: " + e.getMessage());
            }
        }

        @Override
        public List<String> accepts() {
            return TYPES;
        }
    }
}
