package dev.tandem.core.runtime;

import dev.tandem.core.engine.AsyncStage;
import java.net.URI;
import java.util.List;
import java.util.Optional;

/** One started container of one instance, kept running by its runtime until closed. */
public interface RunningContainer extends AutoCloseable {

    String hostname();

    /** Invokes the container; valid while it is healthy. */
    AsyncStage stage();

    ContainerStatus status();

    /**
     * The base URL of the container's HTTP contract ({@code /ping}, {@code /invocations}, {@code
     * /execution-parameters}), for containers reached over HTTP; empty for in-process stages.
     */
    default Optional<URI> contractUrl() {
        return Optional.empty();
    }

    /** The most recent lines the container wrote to stdout and stderr, and Tandem's events, oldest first. */
    List<LogLine> logs();

    /** The messages of {@link #logs()}. */
    default List<String> recentLogs() {
        return logs().stream().map(LogLine::message).toList();
    }

    /** Stops the container and releases its resources; waits for it to exit. */
    @Override
    void close();
}
