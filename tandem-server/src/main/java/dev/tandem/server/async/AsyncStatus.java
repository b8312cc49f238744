package dev.tandem.server.async;

/** Where an asynchronous invocation stands; {@link #wireName()} is how the status API says it. */
public enum AsyncStatus {
    QUEUED("Queued"),
    IN_PROGRESS("InProgress"),
    COMPLETED("Completed"),
    FAILED("Failed");

    private final String wireName;

    AsyncStatus(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public boolean finished() {
        return this == COMPLETED || this == FAILED;
    }
}
