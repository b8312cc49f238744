package dev.tandem.runtime.exec;

import dev.tandem.core.runtime.LaunchRequest;
import java.io.IOException;

/**
 * How a supervised container's process is started: a program run as {@code PROGRAM serve}, the
 * same inside a bubblewrap sandbox, or an OCI engine's {@code run} in the foreground. The
 * supervisor ({@link ExecContainer}) does the rest — health, restarts, logs, stopping — the same
 * way for all.
 */
public interface ProcessLauncher {

    /** Builds the process for one run; the supervisor starts it. */
    ProcessBuilder command(LaunchRequest request, PortBlock ports) throws IOException;

    /** What runs, for logs: a program path or an image name. */
    String describe();

    /** Cleans up after the process is gone (an engine's container, say); nothing by default. */
    default void afterStop(LaunchRequest request) {}
}
