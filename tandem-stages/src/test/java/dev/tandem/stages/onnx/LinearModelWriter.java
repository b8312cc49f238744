package dev.tandem.stages.onnx;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a real ONNX model for tests — multinomial logistic regression, {@code probabilities =
 * softmax(x · W + b)} with outputs {@code logits} and {@code probabilities} — encoding the ONNX
 * protobuf messages by hand, field number by field number (onnx.proto, IR version 8, opset 13).
 */
final class LinearModelWriter {
    private static final int FLOAT = 1;

    private LinearModelWriter() {}

    /** {@code weights[feature][class]}, {@code bias[class]}; input {@code x} of shape [N, features]. */
    static Path write(Path file, float[][] weights, float[] bias) throws IOException {
        return write(file, weights, bias, 0);
    }

    /** As {@link #write(Path, float[][], float[])}; a {@code batch} above 0 fixes the first axis to it. */
    static Path write(Path file, float[][] weights, float[] bias, long batch) throws IOException {
        int features = weights.length;
        int classes = bias.length;
        float[] flat = new float[features * classes];
        for (int f = 0; f < features; f++) {
            System.arraycopy(weights[f], 0, flat, f * classes, classes);
        }
        Proto graph = new Proto()
                .message(1, node("MatMul", "matmul", new String[] {"x", "W"}, "z"))
                .message(1, node("Add", "add", new String[] {"z", "b"}, "logits"))
                .message(1, node("Softmax", "softmax", new String[] {"logits"}, "probabilities"))
                .string(2, "linear")
                .message(5, tensor("W", new long[] {features, classes}, flat))
                .message(5, tensor("b", new long[] {classes}, bias))
                .message(11, valueInfo("x", batch, features))
                .message(12, valueInfo("logits", batch, classes))
                .message(12, valueInfo("probabilities", batch, classes));
        Proto model = new Proto()
                .varint(1, 8) // ir_version
                .string(2, "tandem-tests") // producer_name
                .message(7, graph)
                .message(8, new Proto().string(1, "").varint(2, 13)); // opset_import
        Files.write(file, model.bytes());
        return file;
    }

    private static Proto node(String opType, String name, String[] inputs, String output) {
        Proto node = new Proto();
        for (String input : inputs) {
            node.string(1, input);
        }
        return node.string(2, output).string(3, name).string(4, opType);
    }

    private static Proto tensor(String name, long[] dims, float[] values) {
        Proto tensor = new Proto();
        for (long dim : dims) {
            tensor.varint(1, dim);
        }
        ByteBuffer raw = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float value : values) {
            raw.putFloat(value);
        }
        return tensor.varint(2, FLOAT).string(8, name).bytes(9, raw.array());
    }

    private static Proto valueInfo(String name, long batch, long width) {
        Proto shape = new Proto()
                .message(
                        1,
                        batch > 0 ? new Proto().varint(1, batch) : new Proto().string(2, "N")) // dim_value, dim_param
                .message(1, new Proto().varint(1, width)); // dim_value
        Proto tensorType = new Proto().varint(1, FLOAT).message(2, shape);
        return new Proto().string(1, name).message(2, new Proto().message(1, tensorType));
    }

    /** The protobuf wire format, as much of it as a model needs. */
    private static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(int field, long value) {
            tag(field, 0);
            raw(value);
            return this;
        }

        Proto string(int field, String value) {
            return bytes(field, value.getBytes(StandardCharsets.UTF_8));
        }

        Proto message(int field, Proto message) {
            return bytes(field, message.bytes());
        }

        Proto bytes(int field, byte[] value) {
            tag(field, 2);
            raw(value.length);
            out.writeBytes(value);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }

        private void tag(int field, int wireType) {
            raw(((long) field << 3) | wireType);
        }

        private void raw(long value) {
            long rest = value;
            while ((rest & ~0x7FL) != 0) {
                out.write((int) ((rest & 0x7F) | 0x80));
                rest >>>= 7;
            }
            out.write((int) rest);
        }
    }
}
