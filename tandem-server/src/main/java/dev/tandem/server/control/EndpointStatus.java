package dev.tandem.server.control;

/** SageMaker's EndpointStatus values that Tandem's endpoints go through. */
public enum EndpointStatus {
    Creating,
    InService,
    Updating,
    SystemUpdating,
    Deleting,
    Failed;

    /** Whether an endpoint in this status runs (or is starting) containers after a restart. */
    boolean runs() {
        return this == Creating || this == InService || this == Updating || this == SystemUpdating;
    }
}
