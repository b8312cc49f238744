package dev.tandem.core.runtime;

import dev.tandem.core.model.ContainerDefinition;

/**
 * Runs containers of one kind ({@code exec}, {@code http}, {@code builtin}, {@code oci}). A
 * runtime starts a container and hands back a {@link RunningContainer} at once; the container
 * becomes healthy (or fails) in the background, and the runtime keeps it so — restarting it when
 * it dies — until it is closed.
 */
public interface ContainerRuntime {

    /**
     * Starts one container of one instance.
     *
     * @throws dev.tandem.core.error.ValidationException when the container cannot be run at all
     *     (a missing program, an unknown built-in stage); nothing is left running then
     */
    RunningContainer start(LaunchRequest request);

    /**
     * Checks, without starting anything, that {@code container} can run here: the program exists,
     * the stage is known. Called when a model is created, so that mistakes surface there.
     *
     * @throws dev.tandem.core.error.ValidationException naming the container and the problem
     */
    default void check(ContainerDefinition container) {}
}
