package dev.tandem.core.runtime;

import dev.tandem.core.model.ContainerDefinition;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Everything a runtime needs to start one container of one instance.
 *
 * @param endpointName the endpoint the instance serves, for logs
 * @param instanceId the instance's id, unique within the server
 * @param container the container's definition
 * @param modelDir the folder holding its model data, already fetched and extracted
 * @param startupTimeout how long the container has to answer {@code /ping} with 200
 * @param memoryLimitBytes the most memory the container may use, where its runtime can hold it to
 *     that (container images); 0 for no limit
 * @param statusListener told of every change of the container's status, on any thread
 */
public record LaunchRequest(
        String endpointName,
        String instanceId,
        ContainerDefinition container,
        Path modelDir,
        Duration startupTimeout,
        long memoryLimitBytes,
        Consumer<ContainerStatus> statusListener) {

    public LaunchRequest {
        Objects.requireNonNull(endpointName, "endpointName");
        Objects.requireNonNull(instanceId, "instanceId");
        Objects.requireNonNull(container, "container");
        Objects.requireNonNull(modelDir, "modelDir");
        Objects.requireNonNull(startupTimeout, "startupTimeout");
        Objects.requireNonNull(statusListener, "statusListener");
        if (memoryLimitBytes < 0) {
            throw new IllegalArgumentException("memoryLimitBytes is 0 or more, got " + memoryLimitBytes);
        }
    }

    public String hostname() {
        return container.hostname();
    }
}
