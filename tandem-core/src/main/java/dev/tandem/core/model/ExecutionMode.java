package dev.tandem.core.model;

import java.util.Arrays;
import java.util.Optional;

/** {@code InferenceExecutionConfig.Mode}: how the containers of a model run for one request. */
public enum ExecutionMode {
    /** Every container runs, in order; each one's response is the next one's request. */
    SERIAL("Serial"),
    /** Only the container the request names in {@code X-Amzn-SageMaker-Target-Container-Hostname}. */
    DIRECT("Direct");

    private final String wireName;

    ExecutionMode(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public static Optional<ExecutionMode> fromWireName(String name) {
        return Arrays.stream(values())
                .filter(mode -> mode.wireName.equals(name))
                .findFirst();
    }
}
