package dev.tandem.spark;

import java.io.Serializable;
import org.jspecify.annotations.Nullable;

/**
 * How one input ended in a task: transformed (its output published), or failed with the reason
 * the job's failure names; a start failure of the model's containers fails the whole job.
 */
record InputOutcome(String input, @Nullable String failure, boolean modelDidNotStart) implements Serializable {
    private static final long serialVersionUID = 1L;

    static InputOutcome done(String input) {
        return new InputOutcome(input, null, false);
    }

    static InputOutcome failed(String input, String reason) {
        return new InputOutcome(input, reason, false);
    }

    static InputOutcome notStarted(String input, String reason) {
        return new InputOutcome(input, reason, true);
    }
}
