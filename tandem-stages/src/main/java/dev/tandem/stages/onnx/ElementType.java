package dev.tandem.stages.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.Locale;
import java.util.Optional;

/**
 * The tensor element types {@code builtin:onnx} exchanges, named as the Open Inference Protocol v2
 * names them; each knows its Java array, how to fill it from JSON and how to hand it to ONNX Runtime.
 */
enum ElementType {
    FP32(OnnxJavaType.FLOAT),
    FP64(OnnxJavaType.DOUBLE),
    INT64(OnnxJavaType.INT64),
    INT32(OnnxJavaType.INT32),
    BOOL(OnnxJavaType.BOOL);

    private final OnnxJavaType onnx;

    ElementType(OnnxJavaType onnx) {
        this.onnx = onnx;
    }

    static Optional<ElementType> of(OnnxJavaType type) {
        for (ElementType candidate : values()) {
            if (candidate.onnx == type) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    static Optional<ElementType> ofV2(String datatype) {
        try {
            return Optional.of(valueOf(datatype.toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    Object allocate(int length) {
        return switch (this) {
            case FP32 -> new float[length];
            case FP64 -> new double[length];
            case INT64 -> new long[length];
            case INT32 -> new int[length];
            case BOOL -> new boolean[length];
        };
    }

    /** Stores a JSON value; throws {@link IllegalArgumentException} naming what it expected. */
    void set(Object array, int index, JsonNode value) {
        switch (this) {
            case FP32 -> ((float[]) array)[index] = (float) number(value);
            case FP64 -> ((double[]) array)[index] = number(value);
            case INT64 -> ((long[]) array)[index] = integer(value, Long.MIN_VALUE, Long.MAX_VALUE);
            case INT32 -> ((int[]) array)[index] = (int) integer(value, Integer.MIN_VALUE, Integer.MAX_VALUE);
            case BOOL -> {
                if (!value.isBoolean() && !(value.isIntegralNumber() && (value.asInt() == 0 || value.asInt() == 1))) {
                    throw new IllegalArgumentException("expected a boolean, got " + value);
                }
                ((boolean[]) array)[index] = value.isBoolean() ? value.booleanValue() : value.asInt() == 1;
            }
        }
    }

    /** Stores a number read from CSV. */
    void set(Object array, int index, float value) {
        switch (this) {
            case FP32 -> ((float[]) array)[index] = value;
            case FP64 -> ((double[]) array)[index] = value;
            default -> throw new IllegalArgumentException("CSV rows are floats; this input is " + this);
        }
    }

    private static double number(JsonNode value) {
        if (value.isNull()) {
            return Double.NaN;
        }
        if (!value.isNumber()) {
            throw new IllegalArgumentException("expected a number, got " + value);
        }
        return value.doubleValue();
    }

    private static long integer(JsonNode value, long min, long max) {
        if (!value.isIntegralNumber() && !(value.isNumber() && value.doubleValue() == Math.rint(value.doubleValue()))) {
            throw new IllegalArgumentException("expected an integer, got " + value);
        }
        long parsed = value.longValue();
        if (parsed < min || parsed > max) {
            throw new IllegalArgumentException(value + " is out of range");
        }
        return parsed;
    }

    OnnxTensor tensor(OrtEnvironment environment, Object data, long[] shape) throws OrtException {
        return switch (this) {
            case FP32 -> OnnxTensor.createTensor(environment, FloatBuffer.wrap((float[]) data), shape);
            case FP64 -> OnnxTensor.createTensor(environment, DoubleBuffer.wrap((double[]) data), shape);
            case INT64 -> OnnxTensor.createTensor(environment, LongBuffer.wrap((long[]) data), shape);
            case INT32 -> OnnxTensor.createTensor(environment, IntBuffer.wrap((int[]) data), shape);
            case BOOL -> {
                boolean[] flags = (boolean[]) data;
                ByteBuffer bytes = ByteBuffer.allocateDirect(flags.length);
                for (boolean flag : flags) {
                    bytes.put((byte) (flag ? 1 : 0));
                }
                yield OnnxTensor.createTensor(environment, bytes.flip(), shape, OnnxJavaType.BOOL);
            }
        };
    }

    /** Copies an output tensor's elements into a Java array. */
    Object read(OnnxTensor tensor) {
        return switch (this) {
            case FP32 -> copy(tensor.getFloatBuffer());
            case FP64 -> {
                DoubleBuffer buffer = tensor.getDoubleBuffer();
                double[] out = new double[buffer.remaining()];
                buffer.get(out);
                yield out;
            }
            case INT64 -> {
                LongBuffer buffer = tensor.getLongBuffer();
                long[] out = new long[buffer.remaining()];
                buffer.get(out);
                yield out;
            }
            case INT32 -> {
                IntBuffer buffer = tensor.getIntBuffer();
                int[] out = new int[buffer.remaining()];
                buffer.get(out);
                yield out;
            }
            case BOOL -> {
                ByteBuffer buffer = tensor.getByteBuffer();
                boolean[] out = new boolean[buffer.remaining()];
                for (int i = 0; i < out.length; i++) {
                    out[i] = buffer.get() != 0;
                }
                yield out;
            }
        };
    }

    private static float[] copy(FloatBuffer buffer) {
        float[] out = new float[buffer.remaining()];
        buffer.get(out);
        return out;
    }

    void write(JsonGenerator json, Object array, int index) throws IOException {
        switch (this) {
            case FP32 -> {
                float value = ((float[]) array)[index];
                if (Float.isFinite(value)) {
                    json.writeNumber(value);
                } else {
                    json.writeNull();
                }
            }
            case FP64 -> {
                double value = ((double[]) array)[index];
                if (Double.isFinite(value)) {
                    json.writeNumber(value);
                } else {
                    json.writeNull();
                }
            }
            case INT64 -> json.writeNumber(((long[]) array)[index]);
            case INT32 -> json.writeNumber(((int[]) array)[index]);
            case BOOL -> json.writeBoolean(((boolean[]) array)[index]);
        }
    }

    String text(Object array, int index) {
        return switch (this) {
            case FP32 -> Float.toString(((float[]) array)[index]);
            case FP64 -> Double.toString(((double[]) array)[index]);
            case INT64 -> Long.toString(((long[]) array)[index]);
            case INT32 -> Integer.toString(((int[]) array)[index]);
            case BOOL -> Boolean.toString(((boolean[]) array)[index]);
        };
    }
}
