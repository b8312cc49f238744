package dev.tandem.runtime;

import dev.tandem.core.runtime.ContainerStatus;
import dev.tandem.core.runtime.ContainerStatus.Phase;
import dev.tandem.core.runtime.LaunchRequest;
import dev.tandem.core.runtime.LogLine;
import dev.tandem.core.runtime.RunningContainer;
import java.util.List;

/** What every kind of running container keeps: its launch request, its log and its status. */
public abstract class ContainerBase implements RunningContainer {
    protected final LaunchRequest request;
    protected final ContainerLog log;
    protected final StatusCell status;

    protected ContainerBase(LaunchRequest request, ContainerLog log) {
        this.request = request;
        this.log = log;
        this.status = new StatusCell(new ContainerStatus(Phase.STARTING, null, 0), request.statusListener());
    }

    @Override
    public final String hostname() {
        return request.hostname();
    }

    @Override
    public final ContainerStatus status() {
        return status.get();
    }

    @Override
    public final List<LogLine> logs() {
        return log.recent();
    }
}
