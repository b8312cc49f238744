package dev.tandem.server.batch;

import dev.tandem.runtime.RuntimeSettings;
import java.io.Serializable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * How the server runs containers, carried to the Spark executors so that they run the model's
 * containers the same way: sandboxed or not, from the allowed folders only, checked, restarted and
 * stopped on the same schedule.
 */
public record SparkRuntime(
        boolean sandbox,
        List<String> execFolders,
        long healthCheckMillis,
        int unhealthyThreshold,
        long restartBackoffMillis,
        long maxRestartBackoffMillis,
        long stopGraceMillis)
        implements Serializable {
    private static final long serialVersionUID = 1L;

    public SparkRuntime {
        execFolders = List.copyOf(execFolders);
    }

    static SparkRuntime of(RuntimeSettings settings) {
        return new SparkRuntime(
                settings.sandbox(),
                settings.execFolders().stream().map(Path::toString).toList(),
                settings.healthCheckInterval().toMillis(),
                settings.unhealthyThreshold(),
                settings.restartBackoff().toMillis(),
                settings.maxRestartBackoff().toMillis(),
                settings.stopGracePeriod().toMillis());
    }

    /** The server's settings again, on the defaults for the rest. */
    public RuntimeSettings settings() {
        return RuntimeSettings.defaults()
                .withSandbox(sandbox)
                .withExecFolders(execFolders.stream().map(Path::of).toList())
                .withHealthChecks(Duration.ofMillis(healthCheckMillis), unhealthyThreshold)
                .withRestartBackoff(Duration.ofMillis(restartBackoffMillis), Duration.ofMillis(maxRestartBackoffMillis))
                .withStopGracePeriod(Duration.ofMillis(stopGraceMillis));
    }
}
