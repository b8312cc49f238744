package dev.tandem.server.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * {@code DataProcessing} on single records: the input filter before the model; after it, the join
 * with the input record ({@code JoinSource: Input}) and the output filter. A record is CSV (its
 * fields an array) or JSON, as the input's {@code ContentType} and the model's answer say.
 */
final class RecordShaper {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final JsonPath inputFilter;
    private final JsonPath outputFilter;
    private final boolean join;
    private final boolean csvInput;

    RecordShaper(TransformJobSpec spec) {
        this.inputFilter = JsonPath.parse(spec.inputFilter(), "DataProcessing.InputFilter");
        this.outputFilter = JsonPath.parse(spec.outputFilter(), "DataProcessing.OutputFilter");
        this.join = spec.joinInput();
        String type = spec.input().contentType();
        this.csvInput = type != null && type.toLowerCase(Locale.ROOT).startsWith("text/csv");
    }

    /** Whether records pass through untouched, so responses need no splitting into records. */
    boolean passThrough() {
        return inputFilter instanceof JsonPath.Root && outputFilter instanceof JsonPath.Root && !join;
    }

    boolean filtersInput() {
        return !(inputFilter instanceof JsonPath.Root);
    }

    /** The record as the model should see it. */
    byte[] filterInput(byte[] record, long position) {
        if (!filtersInput()) {
            return record;
        }
        JsonNode selected = inputFilter.select(parse(record, csvInput, "input record " + position));
        if (selected == null) {
            throw new ShapingException("InputFilter selects nothing from input record " + position);
        }
        return write(selected, csvInput);
    }

    /** The record to write: the output, joined with its input and filtered as asked. */
    byte[] finish(byte[] input, byte[] output, @Nullable String outputType, long position) {
        boolean csvOutput = outputType == null
                ? csvInput
                : outputType.toLowerCase(Locale.ROOT).startsWith("text/csv");
        if (!join && outputFilter instanceof JsonPath.Root) {
            return output;
        }
        JsonNode result;
        boolean csv;
        if (join && csvInput) {
            JsonNode row = parse(input, true, "input record " + position).deepCopy();
            JsonNode answer = parse(output, csvOutput, "output record " + position);
            if (answer.isArray()) {
                answer.forEach(((com.fasterxml.jackson.databind.node.ArrayNode) row)::add);
            } else {
                ((com.fasterxml.jackson.databind.node.ArrayNode) row).add(answer);
            }
            result = row;
            csv = true;
        } else if (join) {
            JsonNode record = parse(input, false, "input record " + position);
            JsonNode answer = csvOutput
                    ? TextNode.valueOf(new String(output, StandardCharsets.UTF_8))
                    : parse(output, false, "output record " + position);
            if (record instanceof ObjectNode object) {
                object.set("SageMakerOutput", answer);
                result = object;
            } else {
                ObjectNode wrapped = JSON.createObjectNode();
                wrapped.set("SageMakerInput", record);
                wrapped.set("SageMakerOutput", answer);
                result = wrapped;
            }
            csv = false;
        } else {
            result = parse(output, csvOutput, "output record " + position);
            csv = csvOutput;
        }
        JsonNode selected = outputFilter.select(result);
        if (selected == null) {
            throw new ShapingException("OutputFilter selects nothing from output record " + position);
        }
        return write(selected, csv);
    }

    /**
     * A multi-record answer split into one output per record: by lines, or the elements of a JSON
     * array (or of {@code {"predictions": [...]}}).
     */
    static List<byte[]> splitResponse(byte[] response, int records, long firstPosition) {
        if (records == 1) {
            return List.of(trimNewline(response));
        }
        List<byte[]> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= response.length; i++) {
            if (i == response.length || response[i] == '\n') {
                int end = i > start && response[i - 1] == '\r' ? i - 1 : i;
                if (end > start) {
                    lines.add(Arrays.copyOfRange(response, start, end));
                }
                start = i + 1;
            }
        }
        if (lines.size() == records) {
            return lines;
        }
        try {
            JsonNode root = JSON.readTree(response);
            JsonNode items =
                    root != null && root.isObject() && root.has("predictions") ? root.get("predictions") : root;
            if (items != null && items.isArray() && items.size() == records) {
                List<byte[]> split = new ArrayList<>();
                for (JsonNode item : items) {
                    split.add(JSON.writeValueAsBytes(item));
                }
                return split;
            }
        } catch (IOException e) {
            // not JSON: fall through to the refusal
        }
        throw new ShapingException("the model answered " + lines.size() + " line(s) for the " + records
                + " records starting at record " + firstPosition
                + "; joining and output filters need one output per record");
    }

    private static byte[] trimNewline(byte[] bytes) {
        int end = bytes.length;
        while (end > 0 && (bytes[end - 1] == '\n' || bytes[end - 1] == '\r')) {
            end--;
        }
        return end == bytes.length ? bytes : Arrays.copyOf(bytes, end);
    }

    private static JsonNode parse(byte[] record, boolean csv, String what) {
        String text = new String(trimNewline(record), StandardCharsets.UTF_8);
        if (csv) {
            return CsvLine.parse(text);
        }
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new ShapingException(what + " is not valid JSON");
        }
    }

    private static byte[] write(JsonNode value, boolean csv) {
        try {
            return csv ? CsvLine.write(value).getBytes(StandardCharsets.UTF_8) : JSON.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new ShapingException("cannot write a record: " + e.getMessage());
        }
    }

    /** A record the filters or the join cannot shape; fails its input file. */
    static final class ShapingException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ShapingException(String message) {
            super(message);
        }
    }
}
