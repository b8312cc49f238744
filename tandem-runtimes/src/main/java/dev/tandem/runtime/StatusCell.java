package dev.tandem.runtime;

import dev.tandem.core.runtime.ContainerStatus;
import java.util.function.Consumer;

/** A container's current status, readable from any thread, telling a listener of each change. */
public final class StatusCell {
    private final Consumer<ContainerStatus> listener;
    private volatile ContainerStatus status;

    public StatusCell(ContainerStatus initial, Consumer<ContainerStatus> listener) {
        this.status = initial;
        this.listener = listener;
        listener.accept(initial);
    }

    public ContainerStatus get() {
        return status;
    }

    public void set(ContainerStatus next) {
        synchronized (this) {
            if (next.equals(status)) {
                return;
            }
            status = next;
        }
        listener.accept(next);
    }
}
