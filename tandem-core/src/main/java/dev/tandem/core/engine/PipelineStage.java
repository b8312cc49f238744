package dev.tandem.core.engine;

import java.util.Objects;

/** A stage as one instance of a pipeline holds it: the container's hostname and what runs it. */
public record PipelineStage(String hostname, AsyncStage stage) {

    public PipelineStage {
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(stage, "stage");
    }
}
