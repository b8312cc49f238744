package dev.tandem.server.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.ArrayList;
import java.util.List;

/** One CSV row as a JSON array of its fields (for JSONPath filters) and back, per RFC 4180. */
final class CsvLine {
    private CsvLine() {}

    static ArrayNode parse(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                fields.add(field.toString());
                field.setLength(0);
            } else {
                field.append(c);
            }
        }
        fields.add(field.toString());
        ArrayNode row = JsonNodeFactory.instance.arrayNode();
        fields.forEach(row::add);
        return row;
    }

    /** Fields joined by commas; a nested value is written as its JSON, quoted. */
    static String write(JsonNode value) {
        if (!value.isArray()) {
            return quote(value.isValueNode() ? value.asText() : value.toString());
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < value.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            JsonNode field = value.get(i);
            out.append(quote(field.isValueNode() ? field.asText() : field.toString()));
        }
        return out.toString();
    }

    private static String quote(String text) {
        boolean needs = text.contains(",") || text.contains("\"") || text.contains("\n");
        return needs ? '"' + text.replace("\"", "\"\"") + '"' : text;
    }
}
