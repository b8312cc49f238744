package dev.tandem.stages.onnx;

import dev.tandem.core.stage.StageException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stacks the input tensors of many requests along the batch axis (the first) for one model call,
 * and splits the model's outputs back into each request's rows.
 *
 * <p>Requests share a call when every input has the same type and the same shape apart from the
 * batch axis. With {@code padSequences}, token sequences ({@code [batch, tokens]} inputs) of
 * different lengths share one too: the shorter are padded with zeros — an attention mask of 0,
 * which a transformer ignores — to the longest. That is only exact when the answer no longer has a
 * token axis, so the stage pads only when it pools the tokens into one vector per row.
 */
final class TensorBatch {
    private TensorBatch() {}

    /**
     * The request's rows: the length of every input's batch axis, or -1 when the inputs disagree
     * or one is a scalar or empty, and the request cannot share a call.
     */
    static int rows(Map<String, Tensor> tensors) {
        int rows = -1;
        for (Tensor tensor : tensors.values()) {
            if (tensor.rank() == 0) {
                return -1;
            }
            int first = (int) tensor.dimension(0);
            if (rows >= 0 && first != rows) {
                return -1;
            }
            rows = first;
        }
        return rows < 1 ? -1 : rows;
    }

    /** What must be equal for two requests to share a call (see the class comment). */
    static String shapeKey(Map<String, Tensor> tensors, boolean padSequences) {
        StringBuilder key = new StringBuilder();
        for (Tensor tensor : tensors.values()) {
            long[] shape = tensor.shape();
            int from = padSequences && shape.length == 2 ? 2 : 1;
            key.append(tensor.name())
                    .append(' ')
                    .append(tensor.type())
                    .append(Arrays.toString(Arrays.copyOfRange(shape, from, shape.length)))
                    .append(';');
        }
        return key.toString();
    }

    /** One tensor per input holding every request's rows in order; a single request's as they are. */
    static Map<String, Tensor> stack(List<Map<String, Tensor>> requests, boolean padSequences) {
        if (requests.size() == 1) {
            return requests.get(0);
        }
        Map<String, Tensor> stacked = new LinkedHashMap<>();
        for (String name : requests.get(0).keySet()) {
            List<Tensor> parts = new ArrayList<>(requests.size());
            for (Map<String, Tensor> request : requests) {
                parts.add(request.get(name));
            }
            stacked.put(name, concatenate(parts, padSequences));
        }
        return stacked;
    }

    private static Tensor concatenate(List<Tensor> parts, boolean padSequences) {
        Tensor first = parts.get(0);
        long[] shape = first.shape();
        long rows = 0;
        for (Tensor part : parts) {
            rows += part.dimension(0);
            if (padSequences && shape.length == 2) {
                shape[1] = Math.max(shape[1], part.dimension(1));
            }
        }
        shape[0] = rows;
        int rowElements = Tensor.elements(shape) / (int) Math.max(rows, 1);
        Object data = first.type().allocate(Tensor.elements(shape));
        int offset = 0;
        for (Tensor part : parts) {
            int partRows = (int) part.dimension(0);
            int partRowElements = Tensor.elements(part.shape()) / Math.max(partRows, 1);
            if (partRowElements == rowElements) {
                System.arraycopy(part.data(), 0, data, offset, partRows * rowElements);
            } else {
                // A shorter sequence: each row's tokens first, the rest left at zero.
                for (int r = 0; r < partRows; r++) {
                    System.arraycopy(part.data(), r * partRowElements, data, offset + r * rowElements, partRowElements);
                }
            }
            offset += partRows * rowElements;
        }
        return new Tensor(first.name(), first.type(), shape, data);
    }

    /**
     * Each request's rows of every output, in order.
     *
     * @param rows how many rows each request gave, in the order they were stacked
     */
    static List<List<Tensor>> split(List<Tensor> outputs, int[] rows) {
        int total = Arrays.stream(rows).sum();
        for (Tensor output : outputs) {
            if (output.rank() == 0 || output.dimension(0) != total) {
                throw new StageException(
                        500,
                        "output " + output + " does not have the batch (" + total + " rows) on its first axis, so"
                                + " batched requests cannot be told apart; unset TANDEM_MAX_BATCH_SIZE for this"
                                + " model");
            }
        }
        List<List<Tensor>> answers = new ArrayList<>(rows.length);
        int from = 0;
        for (int requestRows : rows) {
            List<Tensor> answer = new ArrayList<>(outputs.size());
            for (Tensor output : outputs) {
                answer.add(slice(output, from, requestRows, total));
            }
            answers.add(answer);
            from += requestRows;
        }
        return answers;
    }

    private static Tensor slice(Tensor output, int from, int count, int total) {
        long[] shape = output.shape();
        int rowElements = Tensor.elements(shape) / Math.max(total, 1);
        shape[0] = count;
        Object data = output.type().allocate(count * rowElements);
        System.arraycopy(output.data(), from * rowElements, data, 0, count * rowElements);
        return new Tensor(output.name(), output.type(), shape, data);
    }
}
