package dev.tandem.stages.table;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import dev.tandem.core.stage.MediaTypes;
import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.StageException;
import dev.tandem.stages.support.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Reads a request body into a {@link Table}: CSV (with or without a header), JSON (records, rows,
 * or either under {@code "instances"}) and JSON Lines (one record or row per line).
 */
public final class TableReader {
    /** The content types this reader understands. */
    public static final List<String> TYPES = List.of(MediaTypes.CSV, MediaTypes.JSON, MediaTypes.JSON_LINES);

    private static final CsvMapper CSV = CsvMapper.builder()
            .enable(CsvParser.Feature.WRAP_AS_ARRAY)
            .enable(CsvParser.Feature.TRIM_SPACES)
            .build();

    private TableReader() {}

    /** Reads {@code body}; {@code hasHeader} decides whether a CSV body's first line names the columns. */
    public static Table read(Payload body, String contentType, HeaderPolicy hasHeader) {
        String type = MediaTypes.essence(contentType);
        return switch (type) {
            case MediaTypes.CSV -> readCsv(body, hasHeader);
            case MediaTypes.JSON -> readJson(Json.parse(body));
            case MediaTypes.JSON_LINES, "application/x-jsonlines", "application/jsonl" -> readJsonLines(body);
            default -> throw new StageException(415, "cannot read " + contentType + " as rows; send one of " + TYPES);
        };
    }

    private static Table readCsv(Payload body, HeaderPolicy headerPolicy) {
        List<@Nullable Object[]> rows = new ArrayList<>();
        List<String> columns = List.of();
        try (MappingIterator<String[]> lines = CSV.readerFor(String[].class).readValues(body.unsafeArray())) {
            boolean first = true;
            while (lines.hasNextValue()) {
                String[] line = lines.nextValue();
                if (line.length == 0 || (line.length == 1 && line[0].isEmpty())) {
                    continue; // blank line
                }
                if (first && headerPolicy.isHeader(line)) {
                    columns = List.of(line);
                } else {
                    rows.add(csvCells(line));
                }
                first = false;
            }
        } catch (IOException | RuntimeException e) {
            throw StageException.badInput("the body is not valid CSV: " + e.getMessage());
        }
        return new Table(columns, rows);
    }

    private static @Nullable Object[] csvCells(String[] line) {
        @Nullable Object[] cells = new Object[line.length];
        for (int i = 0; i < line.length; i++) {
            cells[i] = line[i].isEmpty() ? null : line[i];
        }
        return cells;
    }

    /** Rows from a parsed JSON body: records, rows, or either under {@code "instances"}. */
    public static Table readJson(JsonNode root) {
        JsonNode rows = root.isObject() && root.has("instances") ? root.get("instances") : root;
        if (!rows.isArray()) {
            throw StageException.badInput(
                    "expected a JSON array of rows or records, or {\"instances\": [...]}; got " + kind(root));
        }
        List<JsonNode> lines = new ArrayList<>();
        rows.forEach(lines::add);
        return fromJsonRows(lines);
    }

    private static Table readJsonLines(Payload body) {
        List<JsonNode> lines = new ArrayList<>();
        String text = new String(body.unsafeArray(), StandardCharsets.UTF_8);
        int number = 0;
        for (String line : text.split("\n", -1)) {
            number++;
            if (line.isBlank()) {
                continue;
            }
            try {
                lines.add(Json.MAPPER.readTree(line));
            } catch (IOException e) {
                throw StageException.badInput("line " + number + " is not valid JSON");
            }
        }
        return fromJsonRows(lines);
    }

    /** Records (objects) name their columns, in order of first appearance; arrays are positional. */
    private static Table fromJsonRows(List<JsonNode> lines) {
        if (!lines.isEmpty() && lines.get(0).isObject()) {
            Map<String, Integer> columns = new LinkedHashMap<>();
            List<Map<String, JsonNode>> records = new ArrayList<>();
            for (int i = 0; i < lines.size(); i++) {
                JsonNode line = lines.get(i);
                if (!line.isObject()) {
                    throw StageException.badInput("record " + (i + 1) + " is " + kind(line) + ", not an object");
                }
                Map<String, JsonNode> record = new LinkedHashMap<>();
                for (Iterator<Map.Entry<String, JsonNode>> it = line.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> field = it.next();
                    columns.putIfAbsent(field.getKey(), columns.size());
                    record.put(field.getKey(), field.getValue());
                }
                records.add(record);
            }
            List<@Nullable Object[]> rows = new ArrayList<>();
            for (Map<String, JsonNode> record : records) {
                @Nullable Object[] cells = new Object[columns.size()];
                record.forEach((name, value) -> cells[columns.getOrDefault(name, 0)] = cell(value));
                rows.add(cells);
            }
            return new Table(List.copyOf(columns.keySet()), rows);
        }
        List<@Nullable Object[]> rows = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            JsonNode line = lines.get(i);
            if (!line.isArray()) {
                throw StageException.badInput("row " + (i + 1) + " is " + kind(line) + ", not an array");
            }
            @Nullable Object[] cells = new Object[line.size()];
            for (int c = 0; c < line.size(); c++) {
                cells[c] = cell(line.get(c));
            }
            rows.add(cells);
        }
        return new Table(List.of(), rows);
    }

    private static @Nullable Object cell(JsonNode value) {
        if (value.isNull() || value.isMissingNode()) {
            return null;
        }
        if (value.isNumber()) {
            return value.doubleValue();
        }
        if (value.isBoolean()) {
            return value.booleanValue() ? 1.0 : 0.0;
        }
        if (value.isTextual()) {
            return value.textValue().isEmpty() ? null : value.textValue();
        }
        throw StageException.badInput("a cell is " + kind(value) + "; cells are numbers, strings or null");
    }

    static String kind(JsonNode node) {
        return switch (node.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            default -> "null";
        };
    }
}
