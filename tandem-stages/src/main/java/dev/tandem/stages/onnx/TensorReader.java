package dev.tandem.stages.onnx;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tandem.core.stage.MediaTypes;
import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.StageException;
import dev.tandem.stages.support.Json;
import dev.tandem.stages.table.Matrix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a request into the model's input tensors and checks them against the model's metadata.
 * Accepted bodies:
 *
 * <ul>
 *   <li>CSV rows: one float batch {@code [rows, columns]}, for a model with a single input;
 *   <li>JSON {@code {"instances": [...]}} (or a bare array): one item per batch row — a value of the
 *       single input, or an object naming each input;
 *   <li>JSON {@code {"inputs": {"name": nested array, ...}}}: whole tensors by name;
 *   <li>the Open Inference Protocol v2 body {@code {"inputs": [{"name", "shape", "datatype",
 *       "data"}]}}.
 * </ul>
 */
final class TensorReader {
    private final Map<String, InputSpec> inputs;

    TensorReader(Map<String, InputSpec> inputs) {
        this.inputs = inputs;
    }

    /** The request's tensors, and whether it was a v2 request (answered in kind). */
    record Request(Map<String, Tensor> tensors, boolean v2) {}

    Request read(Payload body, String contentType) {
        Map<String, Tensor> tensors;
        boolean v2 = false;
        if (MediaTypes.essence(contentType).equals(MediaTypes.CSV)) {
            tensors = Map.of(single("CSV rows").name(), csv(body));
        } else {
            JsonNode root = Json.parse(body);
            JsonNode named = root.isObject() ? root.get("inputs") : null;
            if (named != null && named.isArray()) {
                tensors = v2(named);
                v2 = true;
            } else if (named != null && named.isObject()) {
                tensors = columns(named);
            } else {
                JsonNode rows = root.isObject() && root.has("instances") ? root.get("instances") : root;
                if (!rows.isArray()) {
                    throw StageException.badInput("expected {\"instances\": [...]}, {\"inputs\": {...}} or a v2"
                            + " {\"inputs\": [...]} body; got an object with fields " + fieldNames(root));
                }
                tensors = instances(rows);
            }
        }
        check(tensors);
        return new Request(tensors, v2);
    }

    private InputSpec single(String what) {
        if (inputs.size() != 1) {
            throw StageException.badInput(what + " fill a single input, but the model takes " + inputs.size() + ": "
                    + inputs.values() + "; send JSON {\"inputs\": {...}} naming each");
        }
        return inputs.values().iterator().next();
    }

    private Tensor csv(Payload body) {
        InputSpec input = single("CSV rows");
        Matrix rows = Matrix.read(body, MediaTypes.CSV);
        Object data = input.type().allocate(rows.values().length);
        try {
            for (int i = 0; i < rows.values().length; i++) {
                input.type().set(data, i, rows.values()[i]);
            }
        } catch (IllegalArgumentException e) {
            throw StageException.badInput("input '" + input.name() + "': " + e.getMessage());
        }
        return new Tensor(input.name(), input.type(), new long[] {rows.rows(), rows.columns()}, data);
    }

    private Map<String, Tensor> v2(JsonNode list) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (JsonNode item : list) {
            String name = item.path("name").asText("");
            InputSpec input = known(name);
            JsonNode shapeNode = item.get("shape");
            JsonNode data = item.get("data");
            String datatype = item.path("datatype").asText("");
            if (shapeNode == null || !shapeNode.isArray() || data == null) {
                throw StageException.badInput("v2 input '" + name + "' needs name, shape, datatype and data");
            }
            ElementType type = ElementType.ofV2(datatype)
                    .orElseThrow(() -> StageException.badInput("v2 input '" + name + "' has datatype '" + datatype
                            + "'; the model expects " + input.type()));
            if (type != input.type()) {
                throw StageException.badInput(
                        "input '" + name + "' is " + type + "; the model expects " + input.type());
            }
            long[] shape = new long[shapeNode.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapeNode.get(i).asLong();
            }
            List<JsonNode> flat = new ArrayList<>();
            flatten(data, flat);
            if (flat.size() != Tensor.elements(shape)) {
                throw StageException.badInput("v2 input '" + name + "' has " + flat.size() + " values; shape "
                        + Arrays.toString(shape) + " holds " + Tensor.elements(shape));
            }
            tensors.put(name, fill(input, shape, flat));
        }
        return tensors;
    }

    private Map<String, Tensor> columns(JsonNode byName) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = byName.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            InputSpec input = known(field.getKey());
            tensors.put(field.getKey(), nested(input, List.of(field.getValue()), false));
        }
        return tensors;
    }

    private Map<String, Tensor> instances(JsonNode rows) {
        if (rows.isEmpty()) {
            throw StageException.badInput("the body holds no instances");
        }
        if (!rows.get(0).isObject()) {
            InputSpec input = single("Instances that are not objects");
            List<JsonNode> items = new ArrayList<>();
            rows.forEach(items::add);
            return Map.of(input.name(), nested(input, items, true));
        }
        Map<String, List<JsonNode>> byName = new LinkedHashMap<>();
        for (JsonNode row : rows) {
            if (!row.isObject()) {
                throw StageException.badInput("instances mix objects and values");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = row.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                byName.computeIfAbsent(field.getKey(), name -> new ArrayList<>())
                        .add(field.getValue());
            }
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        byName.forEach((name, items) -> {
            if (items.size() != rows.size()) {
                throw StageException.badInput(
                        "input '" + name + "' appears in " + items.size() + " of " + rows.size() + " instances");
            }
            tensors.put(name, nested(known(name), items, true));
        });
        return tensors;
    }

    /**
     * A tensor from nested JSON arrays; {@code batch} stacks {@code items} along a new first axis,
     * otherwise {@code items} holds the one whole tensor.
     */
    private Tensor nested(InputSpec input, List<JsonNode> items, boolean batch) {
        List<Long> shape = new ArrayList<>();
        if (batch) {
            shape.add((long) items.size());
        }
        JsonNode probe = items.get(0);
        while (probe.isArray()) {
            shape.add((long) probe.size());
            if (probe.isEmpty()) {
                break;
            }
            probe = probe.get(0);
        }
        long[] dims = shape.stream().mapToLong(Long::longValue).toArray();
        List<JsonNode> flat = new ArrayList<>();
        for (JsonNode item : items) {
            flattenChecked(input.name(), item, dims, batch ? 1 : 0, flat);
        }
        return fill(input, dims, flat);
    }

    private static void flattenChecked(String name, JsonNode node, long[] dims, int axis, List<JsonNode> out) {
        if (axis == dims.length) {
            if (node.isArray() || node.isObject()) {
                throw StageException.badInput("input '" + name + "' is ragged: a value is nested deeper than others");
            }
            out.add(node);
            return;
        }
        if (!node.isArray() || node.size() != dims[axis]) {
            throw StageException.badInput("input '" + name + "' is ragged: axis " + axis + " has "
                    + (node.isArray() ? node.size() + " values" : "a single value") + " where the first has "
                    + dims[axis]);
        }
        for (JsonNode child : node) {
            flattenChecked(name, child, dims, axis + 1, out);
        }
    }

    private static void flatten(JsonNode node, List<JsonNode> out) {
        if (node.isArray()) {
            node.forEach(child -> flatten(child, out));
        } else {
            out.add(node);
        }
    }

    private static Tensor fill(InputSpec input, long[] shape, List<JsonNode> flat) {
        Object data = input.type().allocate(flat.size());
        for (int i = 0; i < flat.size(); i++) {
            try {
                input.type().set(data, i, flat.get(i));
            } catch (IllegalArgumentException e) {
                throw StageException.badInput("input '" + input.name() + "' (" + input.type() + "), value " + (i + 1)
                        + ": " + e.getMessage());
            }
        }
        return new Tensor(input.name(), input.type(), shape, data);
    }

    private InputSpec known(String name) {
        InputSpec input = inputs.get(name);
        if (input == null) {
            throw StageException.badInput("the model has no input '" + name + "'; it takes " + inputs.values());
        }
        return input;
    }

    private void check(Map<String, Tensor> tensors) {
        for (InputSpec input : inputs.values()) {
            Tensor tensor = tensors.get(input.name());
            if (tensor == null) {
                throw StageException.badInput(
                        "missing input '" + input.name() + "'; the model takes " + inputs.values());
            }
            if (!input.admits(tensor.shape())) {
                throw StageException.badInput("input '" + input.name() + "' has shape "
                        + Arrays.toString(tensor.shape()) + "; the model expects " + input.shape() + " (-1: any size)");
            }
        }
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
