package dev.tandem.stages.onnx;

import dev.tandem.core.stage.StageException;
import org.jspecify.annotations.Nullable;

/**
 * Sentence embeddings from a transformer's token embeddings {@code [batch, tokens, hidden]}: the
 * mean over the tokens the attention mask keeps (sentence-transformers' mean pooling) or the first
 * token's ({@code cls}), optionally scaled to unit length.
 */
record Pooling(Mode mode, boolean normalize) {
    enum Mode {
        NONE,
        MEAN,
        CLS
    }

    boolean active() {
        return mode != Mode.NONE || normalize;
    }

    Tensor apply(Tensor tokens, @Nullable Tensor attentionMask) {
        if (mode == Mode.NONE) {
            return normalize ? normalized(tokens) : tokens;
        }
        if (tokens.rank() != 3 || tokens.type() != ElementType.FP32) {
            throw new StageException(
                    500,
                    "pooling needs token embeddings FP32 [batch, tokens, hidden]; output " + tokens
                            + " is not; unset TANDEM_ONNX_POOLING or name another output");
        }
        int batch = (int) tokens.dimension(0);
        int length = (int) tokens.dimension(1);
        int hidden = (int) tokens.dimension(2);
        float[] in = (float[]) tokens.data();
        float[] out = new float[batch * hidden];
        for (int b = 0; b < batch; b++) {
            if (mode == Mode.CLS) {
                System.arraycopy(in, b * length * hidden, out, b * hidden, hidden);
                continue;
            }
            double kept = 0;
            for (int t = 0; t < length; t++) {
                double weight = mask(attentionMask, b, t, length);
                if (weight == 0) {
                    continue;
                }
                kept += weight;
                int base = (b * length + t) * hidden;
                for (int h = 0; h < hidden; h++) {
                    out[b * hidden + h] += (float) (in[base + h] * weight);
                }
            }
            float scale = (float) (1 / Math.max(kept, 1e-9));
            for (int h = 0; h < hidden; h++) {
                out[b * hidden + h] *= scale;
            }
        }
        Tensor pooled = new Tensor(tokens.name(), ElementType.FP32, new long[] {batch, hidden}, out);
        return normalize ? normalized(pooled) : pooled;
    }

    private static double mask(@Nullable Tensor attentionMask, int row, int token, int length) {
        if (attentionMask == null) {
            return 1;
        }
        return switch (attentionMask.type()) {
            case INT64 -> ((long[]) attentionMask.data())[row * length + token];
            case INT32 -> ((int[]) attentionMask.data())[row * length + token];
            case FP32 -> ((float[]) attentionMask.data())[row * length + token];
            default -> 1;
        };
    }

    /** Scales each vector along the last axis to unit L2 length. */
    private static Tensor normalized(Tensor vectors) {
        if (vectors.type() != ElementType.FP32 || vectors.rank() < 1) {
            throw new StageException(500, "normalizing needs an FP32 output; " + vectors + " is not");
        }
        float[] in = (float[]) vectors.data();
        float[] out = in.clone();
        int width = (int) vectors.dimension(vectors.rank() - 1);
        for (int start = 0; start + width <= out.length; start += width) {
            double sum = 0;
            for (int i = start; i < start + width; i++) {
                sum += (double) out[i] * out[i];
            }
            float scale = (float) (1 / Math.max(Math.sqrt(sum), 1e-12));
            for (int i = start; i < start + width; i++) {
                out[i] *= scale;
            }
        }
        return new Tensor(vectors.name(), ElementType.FP32, vectors.shape(), out);
    }
}
