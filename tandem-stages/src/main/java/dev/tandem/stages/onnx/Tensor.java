package dev.tandem.stages.onnx;

import java.util.Arrays;

/**
 * A named tensor on its way into or out of ONNX Runtime: elements in row-major order in a
 * primitive array ({@code float[]}, {@code long[]}, …) matching {@code type}.
 */
final class Tensor {
    private final String name;
    private final ElementType type;
    private final long[] shape;
    private final Object data;

    Tensor(String name, ElementType type, long[] shape, Object data) {
        this.name = name;
        this.type = type;
        this.shape = shape.clone();
        this.data = data;
    }

    String name() {
        return name;
    }

    ElementType type() {
        return type;
    }

    long[] shape() {
        return shape.clone();
    }

    Object data() {
        return data;
    }

    int rank() {
        return shape.length;
    }

    long dimension(int axis) {
        return shape[axis];
    }

    static int elements(long[] shape) {
        long count = 1;
        for (long dimension : shape) {
            count *= dimension;
        }
        if (count > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a tensor of shape " + Arrays.toString(shape) + " is too large");
        }
        return (int) count;
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(shape);
    }
}
