package dev.tandem.runtime;

import dev.tandem.core.runtime.ContainerStatus;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

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
        update(current -> next);
    }

    /**
     * Sets what {@code change} makes of the current status, in one step with reading it: a change
     * decided on an old status (a refusal that marks a container unhealthy, say) cannot undo a newer
     * one.
     */
    public void update(UnaryOperator<ContainerStatus> change) {
        ContainerStatus next;
        synchronized (this) {
            next = change.apply(status);
            if (next.equals(status)) {
                return;
            }
            status = next;
        }
        listener.accept(next);
    }
}
