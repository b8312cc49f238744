package dev.tandem.stages.postprocess;

import java.util.List;

/**
 * What {@code builtin:postprocess} decided for one row: the chosen classes (by index), best first,
 * with their scores; or, for {@link Decision.Scores}, every score.
 */
record Answer(List<Integer> classes, List<Float> scores, boolean single) {
    static Answer one(int index, float score) {
        return new Answer(List.of(index), List.of(score), true);
    }
}
