package dev.tandem.stages.onnx;

import java.util.List;

/** One input the model declares: its name, element type and shape ({@code -1}: any size). */
record InputSpec(String name, ElementType type, List<Long> shape) {
    InputSpec {
        shape = List.copyOf(shape);
    }

    boolean admits(long[] actual) {
        if (actual.length != shape.size()) {
            return false;
        }
        for (int i = 0; i < actual.length; i++) {
            if (shape.get(i) >= 0 && shape.get(i) != actual[i]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return name + " (" + type + " " + shape + ")";
    }
}
