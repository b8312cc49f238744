package dev.tandem.stages.postprocess;

import dev.tandem.stages.table.Matrix;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/** How one row of scores becomes an {@link Answer}. */
sealed interface Decision {
    default List<Answer> decide(Matrix scores) {
        List<Answer> answers = new ArrayList<>(scores.rows());
        for (int r = 0; r < scores.rows(); r++) {
            float[] row = new float[scores.columns()];
            System.arraycopy(scores.values(), r * scores.columns(), row, 0, row.length);
            answers.add(decide(row));
        }
        return answers;
    }

    Answer decide(float[] row);

    /**
     * The highest-scoring class; with a single score per row (a binary model's positive
     * probability), class 1 when it reaches {@code threshold}, else class 0.
     */
    record Argmax(double threshold) implements Decision {
        @Override
        public Answer decide(float[] row) {
            if (row.length == 1) {
                return row[0] >= threshold ? Answer.one(1, row[0]) : Answer.one(0, 1 - row[0]);
            }
            int best = 0;
            for (int i = 1; i < row.length; i++) {
                if (row[i] > row[best]) {
                    best = i;
                }
            }
            return Answer.one(best, row[best]);
        }
    }

    /** Every class whose score reaches {@code threshold}, best first (binary: as {@link Argmax}). */
    record Threshold(double threshold) implements Decision {
        @Override
        public Answer decide(float[] row) {
            if (row.length == 1) {
                return new Argmax(threshold).decide(row);
            }
            List<Integer> chosen = IntStream.range(0, row.length)
                    .filter(i -> row[i] >= threshold)
                    .boxed()
                    .sorted(Comparator.comparingDouble((Integer i) -> row[i]).reversed())
                    .toList();
            return new Answer(chosen, chosen.stream().map(i -> row[i]).toList(), false);
        }
    }

    /** The {@code k} best classes, best first. */
    record TopK(int k) implements Decision {
        @Override
        public Answer decide(float[] row) {
            List<Integer> chosen = IntStream.range(0, row.length)
                    .boxed()
                    .sorted(Comparator.comparingDouble((Integer i) -> row[i]).reversed())
                    .limit(k)
                    .toList();
            return new Answer(chosen, chosen.stream().map(i -> row[i]).toList(), false);
        }
    }

    /** The scores themselves, rounded. */
    record Scores() implements Decision {
        @Override
        public Answer decide(float[] row) {
            List<Float> scores = new ArrayList<>(row.length);
            for (float score : row) {
                scores.add(score);
            }
            return new Answer(List.of(), scores, false);
        }
    }
}
