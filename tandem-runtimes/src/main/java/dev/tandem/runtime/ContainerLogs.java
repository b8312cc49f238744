package dev.tandem.runtime;

import dev.tandem.core.runtime.LaunchRequest;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * Where containers' output is kept: in memory (the most recent lines, for {@code ./tandem logs})
 * and, when a folder is given, in files {@code FOLDER/ENDPOINT/INSTANCE/HOSTNAME.log} of bounded
 * size, rotated.
 */
public final class ContainerLogs {
    private final @Nullable Path folder;
    private final long maxFileBytes;
    private final int keepFiles;

    private ContainerLogs(@Nullable Path folder, long maxFileBytes, int keepFiles) {
        this.folder = folder;
        this.maxFileBytes = maxFileBytes;
        this.keepFiles = keepFiles;
    }

    /** Lines kept in memory only. */
    public static ContainerLogs inMemory() {
        return new ContainerLogs(null, 0, 0);
    }

    /** Lines kept in memory and in rotated files of at most {@code maxFileBytes}, {@code keepFiles} old ones kept. */
    public static ContainerLogs inFolder(Path folder, long maxFileBytes, int keepFiles) {
        if (maxFileBytes < 1024 || keepFiles < 1) {
            throw new IllegalArgumentException("container log files need at least 1024 bytes and 1 old file, got "
                    + maxFileBytes + ", " + keepFiles);
        }
        return new ContainerLogs(folder, maxFileBytes, keepFiles);
    }

    /** The log of one container, keeping {@code lines} lines in memory. */
    public ContainerLog open(LaunchRequest request, int lines) {
        RotatingLogFile file = folder == null
                ? null
                : new RotatingLogFile(
                        folder.resolve(request.endpointName())
                                .resolve(request.instanceId())
                                .resolve(request.hostname() + ".log"),
                        maxFileBytes,
                        keepFiles);
        return new ContainerLog(request.endpointName(), request.instanceId(), request.hostname(), lines, file);
    }
}
