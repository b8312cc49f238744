package dev.tandem.stages.table;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tandem.core.stage.MediaTypes;
import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.StageException;
import dev.tandem.stages.support.Json;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A dense row-major batch of floats: the features going into a model, or the scores coming out.
 * Missing values are {@code NaN}.
 */
public final class Matrix {
    private final int rows;
    private final int columns;
    private final float[] values;

    /** Wraps {@code values} (row-major) without copying them. */
    public Matrix(int rows, int columns, float[] values) {
        if (values.length != rows * columns) {
            throw new IllegalArgumentException(
                    rows + "x" + columns + " needs " + rows * columns + " values, got " + values.length);
        }
        this.rows = rows;
        this.columns = columns;
        this.values = values;
    }

    public int rows() {
        return rows;
    }

    public int columns() {
        return columns;
    }

    /** The row-major backing array, not a copy. */
    public float[] values() {
        return values;
    }

    /**
     * The rows of {@code parts} one after another, as one matrix; a single part is returned as it
     * is. All parts must have the same columns.
     */
    public static Matrix stack(List<Matrix> parts) {
        if (parts.size() == 1) {
            return parts.get(0);
        }
        int columns = parts.get(0).columns;
        int rows = 0;
        for (Matrix part : parts) {
            if (part.columns != columns) {
                throw new IllegalArgumentException(
                        "cannot stack a matrix of " + part.columns + " columns onto " + columns);
            }
            rows += part.rows;
        }
        float[] values = new float[rows * columns];
        int offset = 0;
        for (Matrix part : parts) {
            System.arraycopy(part.values, 0, values, offset, part.values.length);
            offset += part.values.length;
        }
        return new Matrix(rows, columns, values);
    }

    /** Rows {@code from} (inclusive) to {@code to} (exclusive), copied. */
    public Matrix rows(int from, int to) {
        return new Matrix(to - from, columns, Arrays.copyOfRange(values, from * columns, to * columns));
    }

    public float get(int row, int column) {
        return values[row * columns + column];
    }

    /**
     * Reads numbers from CSV, JSON ({@code {"instances": [[...]]}}, {@code {"predictions":
     * [[...]]}}, {@code [[...]]} or one flat row) or JSON Lines; an empty CSV cell or a JSON {@code null} is a missing value.
     */
    public static Matrix read(Payload body, String contentType) {
        Table table;
        if (MediaTypes.essence(contentType).equals(MediaTypes.JSON)) {
            JsonNode root = Json.parse(body);
            JsonNode rows = root.isObject() && root.has("instances")
                    ? root.get("instances")
                    : root.isObject() && root.has("predictions") ? root.get("predictions") : root;
            if (rows.isArray()
                    && rows.size() > 0
                    && !rows.get(0).isArray()
                    && !rows.get(0).isObject()) {
                return flatRow(rows);
            }
            table = TableReader.readJson(rows);
        } else {
            table = TableReader.read(body, contentType, HeaderPolicy.never());
        }
        if (table.named()) {
            throw StageException.badInput("expected rows of numbers, got records with fields " + table.columns()
                    + "; send arrays, or put builtin:transform before this stage");
        }
        return fromTable(table);
    }

    private static Matrix flatRow(JsonNode row) {
        float[] values = new float[row.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode cell = row.get(i);
            values[i] = number(cell.isNull() ? null : cell.isNumber() ? cell.asDouble() : cell.asText(), 0, i);
        }
        return new Matrix(1, values.length, values);
    }

    private static Matrix fromTable(Table table) {
        int rows = table.rows().size();
        if (rows == 0) {
            throw StageException.badInput("the body holds no rows");
        }
        int columns = table.rows().get(0).length;
        float[] values = new float[rows * columns];
        for (int r = 0; r < rows; r++) {
            @Nullable Object[] cells = table.rows().get(r);
            if (cells.length != columns) {
                throw StageException.badInput(
                        "row " + (r + 1) + " has " + cells.length + " values; row 1 has " + columns);
            }
            for (int c = 0; c < columns; c++) {
                values[r * columns + c] = number(cells[c], r, c);
            }
        }
        return new Matrix(rows, columns, values);
    }

    private static float number(@Nullable Object cell, int row, int column) {
        if (cell == null) {
            return Float.NaN;
        }
        if (cell instanceof Double number) {
            return number.floatValue();
        }
        try {
            return Float.parseFloat((String) cell);
        } catch (NumberFormatException e) {
            throw StageException.badInput(
                    "row " + (row + 1) + ", column " + (column + 1) + ": '" + cell + "' is not a number");
        }
    }

    /** The matrix as CSV rows, JSON Lines rows, or JSON {@code {"predictions": [[...], ...]}}. */
    public Payload write(String mediaType) {
        return write(mediaType, "predictions");
    }

    /** As {@link #write(String)}, with JSON rows under {@code jsonKey}. */
    public Payload write(String mediaType, String jsonKey) {
        return switch (MediaTypes.essence(mediaType)) {
            case MediaTypes.CSV -> writeCsv();
            case MediaTypes.JSON_LINES -> writeJson(null);
            default -> writeJson(jsonKey);
        };
    }

    private Payload writeCsv() {
        StringBuilder out = new StringBuilder(rows * columns * 10);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < columns; c++) {
                if (c > 0) {
                    out.append(',');
                }
                float value = get(r, c);
                if (!Float.isNaN(value)) {
                    out.append(value);
                }
            }
            out.append('\n');
        }
        return Payload.wrap(out.toString().getBytes(StandardCharsets.UTF_8));
    }

    private Payload writeJson(@Nullable String key) {
        return Json.items(key, rows, (json, r) -> {
            json.writeStartArray();
            for (int c = 0; c < columns; c++) {
                float value = get(r, c);
                if (Float.isNaN(value)) {
                    json.writeNull();
                } else {
                    json.writeNumber(value);
                }
            }
            json.writeEndArray();
        });
    }
}
