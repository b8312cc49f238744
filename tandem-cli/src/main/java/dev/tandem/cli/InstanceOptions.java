package dev.tandem.cli;

import dev.tandem.server.ServerConfig;
import dev.tandem.server.endpoint.InFlightLimit;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/**
 * What {@code tandem serve} and {@code tandem instance} alike are told about running pipelines:
 * where to listen and keep files, how large a payload may be, how long containers have, how many
 * requests an instance takes, where users' own stages are. A picocli mixin of both commands.
 */
final class InstanceOptions {

    @Option(
            names = "--port",
            defaultValue = "8080",
            description = "Port to listen on; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(
            names = "--data-dir",
            defaultValue = ".tandem",
            description = "Where Tandem keeps its state, extracted models and logs (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(
            names = "--max-payload",
            defaultValue = "6MB",
            converter = ServeCommand.SizeConverter.class,
            description = "Largest request body, and largest payload between two containers"
                    + " (default: ${DEFAULT-VALUE} = 6,291,456 bytes).")
    long maxPayload;

    @Option(
            names = "--invocation-timeout",
            defaultValue = "60s",
            description = "How long each container has to answer /invocations (default: ${DEFAULT-VALUE}).")
    Duration invocationTimeout;

    @Option(
            names = "--startup-timeout",
            defaultValue = "600s",
            description =
                    "How long a container has to answer /ping with 200 after it starts (default: ${DEFAULT-VALUE}).")
    Duration startupTimeout;

    @Option(
            names = "--max-in-flight",
            paramLabel = "N",
            description = "How many requests one instance takes at a time; past it a request is refused at once"
                    + " with ThrottlingException (HTTP 429), which the AWS SDKs retry with backoff. Default: sized"
                    + " to each container (its workers and a quarter more; TANDEM_MAX_IN_FLIGHT in a container's"
                    + " Environment overrides both).")
    @Nullable
    Integer maxInFlight;

    @Option(
            names = "--stage-path",
            paramLabel = "JAR|DIR",
            description = "Jars (or folders of jars) holding in-process stages of your own, found as builtin:NAME"
                    + " through META-INF/services/dev.tandem.core.stage.StageProvider. Repeatable.")
    List<Path> stagePath = new ArrayList<>();

    /** {@code config} with these settings; its runtime's other settings kept. */
    ServerConfig applyTo(ServerConfig config) {
        return config.withPort(port)
                .withDataDir(dataDir)
                .withMaxPayloadBytes(maxPayload)
                .withStartupTimeout(startupTimeout)
                .withRuntime(config.runtime().withInvocationTimeout(invocationTimeout))
                .withInFlight(maxInFlight == null ? InFlightLimit.sized() : InFlightLimit.fixed(maxInFlight));
    }

    /** Where builtin stages are found: Tandem's own, and those of {@code --stage-path}. */
    ClassLoader stageLoader() {
        return StagePath.classLoader(stagePath, TandemCli.class.getClassLoader());
    }
}
