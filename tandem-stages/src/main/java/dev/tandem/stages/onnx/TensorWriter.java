package dev.tandem.stages.onnx;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.tandem.core.stage.MediaTypes;
import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.StageException;
import dev.tandem.stages.support.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes output tensors: as an Open Inference Protocol v2 answer, or as predictions — one item per
 * batch row, the row itself for a single output or an object of outputs by name — in JSON, JSON
 * Lines or (one output of rank 1 or 2) CSV.
 */
final class TensorWriter {
    private TensorWriter() {}

    static Payload v2(String modelName, List<Tensor> outputs) {
        return json(json -> {
            json.writeStartObject();
            json.writeStringField("model_name", modelName);
            json.writeArrayFieldStart("outputs");
            for (Tensor output : outputs) {
                json.writeStartObject();
                json.writeStringField("name", output.name());
                json.writeArrayFieldStart("shape");
                for (long dimension : output.shape()) {
                    json.writeNumber(dimension);
                }
                json.writeEndArray();
                json.writeStringField("datatype", output.type().name());
                json.writeArrayFieldStart("data");
                int count = Tensor.elements(output.shape());
                for (int i = 0; i < count; i++) {
                    output.type().write(json, output.data(), i);
                }
                json.writeEndArray();
                json.writeEndObject();
            }
            json.writeEndArray();
            json.writeEndObject();
        });
    }

    static Payload predictions(List<Tensor> outputs, String mediaType) {
        return switch (MediaTypes.essence(mediaType)) {
            case MediaTypes.CSV -> csv(outputs);
            case MediaTypes.JSON_LINES ->
                Json.items(null, (int) batch(outputs), (json, row) -> writeRow(json, outputs, row));
            default -> Json.items("predictions", (int) batch(outputs), (json, row) -> writeRow(json, outputs, row));
        };
    }

    private static long batch(List<Tensor> outputs) {
        long rows = -1;
        for (Tensor output : outputs) {
            long first = output.rank() == 0 ? 1 : output.dimension(0);
            if (rows >= 0 && first != rows) {
                throw new StageException(500, "the outputs disagree on the batch size: " + outputs);
            }
            rows = first;
        }
        return Math.max(rows, 0);
    }

    private static void writeRow(JsonGenerator json, List<Tensor> outputs, int row) throws IOException {
        if (outputs.size() == 1) {
            writeSlice(json, outputs.get(0), row);
            return;
        }
        json.writeStartObject();
        for (Tensor output : outputs) {
            json.writeFieldName(output.name());
            writeSlice(json, output, row);
        }
        json.writeEndObject();
    }

    /** Row {@code row} of a tensor (its first axis) as nested arrays. */
    private static void writeSlice(JsonGenerator json, Tensor tensor, int row) throws IOException {
        long[] shape = tensor.shape();
        if (shape.length == 0) {
            tensor.type().write(json, tensor.data(), 0);
            return;
        }
        int stride = Tensor.elements(shape) / (int) Math.max(shape[0], 1);
        writeNested(json, tensor, shape, 1, row * stride);
    }

    private static int writeNested(JsonGenerator json, Tensor tensor, long[] shape, int axis, int offset)
            throws IOException {
        if (axis == shape.length) {
            tensor.type().write(json, tensor.data(), offset);
            return offset + 1;
        }
        json.writeStartArray();
        int next = offset;
        for (long i = 0; i < shape[axis]; i++) {
            next = writeNested(json, tensor, shape, axis + 1, next);
        }
        json.writeEndArray();
        return next;
    }

    private static Payload csv(List<Tensor> outputs) {
        if (outputs.size() != 1 || outputs.get(0).rank() > 2) {
            throw new StageException(
                    406, "text/csv answers need one output of rank 1 or 2; the model gives " + outputs);
        }
        Tensor output = outputs.get(0);
        long[] shape = output.shape();
        int rows = shape.length == 0 ? 1 : (int) shape[0];
        int columns = shape.length < 2 ? 1 : (int) shape[1];
        StringBuilder out = new StringBuilder(rows * columns * 10);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < columns; c++) {
                if (c > 0) {
                    out.append(',');
                }
                out.append(output.type().text(output.data(), r * columns + c));
            }
            out.append('\n');
        }
        return Payload.wrap(out.toString().getBytes(StandardCharsets.UTF_8));
    }

    private interface JsonBody {
        void write(JsonGenerator json) throws IOException;
    }

    private static Payload json(JsonBody body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator json = Json.MAPPER.createGenerator(out)) {
            body.write(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Payload.wrap(out.toByteArray());
    }
}
