package dev.tandem.cli;

import dev.tandem.core.error.TandemException;
import dev.tandem.core.model.PipelineParser;
import dev.tandem.server.ServerConfig;
import dev.tandem.server.TandemServer;
import dev.tandem.server.endpoint.InFlightLimit;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tandem instance}: one instance of an endpoint, speaking SageMaker's container contract —
 * what runs in each pod when Tandem runs on Kubernetes, and a way to ship a whole pipeline as one
 * SageMaker container.
 */
@Command(
        name = "instance",
        mixinStandardHelpOptions = true,
        description = {
            "Run one instance of a pipeline as a SageMaker container: POST /invocations runs the PIPELINE"
                    + " (its builtin stages in this process, its exec programs beside it), GET /ping answers"
                    + " 200 once every container is healthy and 503 before. There is no control plane: the"
                    + " gateway in front of the instance (`tandem serve --kubernetes`) routes requests to it.",
            "Stop with SIGTERM: requests in flight finish, then every container stops."
        })
final class InstanceCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "PIPELINE", description = "The pipeline file (a SageMaker CreateModel request body).")
    Path pipeline;

    @Option(
            names = "--host",
            defaultValue = "0.0.0.0",
            description = "Address to listen on (default: ${DEFAULT-VALUE}, as a SageMaker container does).")
    String host;

    @Option(
            names = "--port",
            defaultValue = "8080",
            description = "Port to listen on; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(
            names = "--data-dir",
            defaultValue = ".tandem",
            description = "Where the instance keeps extracted models and logs (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(
            names = "--max-payload",
            defaultValue = "6MB",
            converter = ServeCommand.SizeConverter.class,
            description =
                    "Largest request body, and largest payload between two containers (default: ${DEFAULT-VALUE}).")
    long maxPayload;

    @Option(
            names = "--invocation-timeout",
            defaultValue = "60s",
            description = "How long each container has to answer /invocations (default: ${DEFAULT-VALUE}).")
    Duration invocationTimeout;

    @Option(
            names = "--startup-timeout",
            defaultValue = "600s",
            description = "How long the containers have to become healthy (default: ${DEFAULT-VALUE}).")
    Duration startupTimeout;

    @Option(
            names = "--max-in-flight",
            paramLabel = "N",
            description = "How many requests the instance takes at a time; past it a request is refused with"
                    + " ThrottlingException (HTTP 429). Default: sized to its containers.")
    @Nullable
    Integer maxInFlight;

    @Option(
            names = "--stage-path",
            paramLabel = "JAR|DIR",
            description = "Jars (or folders of jars) holding in-process stages of your own. Repeatable.")
    List<Path> stagePath = new ArrayList<>();

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        String endpoint;
        try {
            endpoint = new PipelineParser().parse(pipeline).modelName();
        } catch (TandemException e) {
            err.println("error: " + e.getMessage());
            return 2;
        }
        TandemServer server;
        try {
            ServerConfig config = ServerConfig.defaults()
                    .withHost(host)
                    .withPort(port)
                    .withDataDir(dataDir)
                    .withMaxPayloadBytes(maxPayload)
                    .withStartupTimeout(startupTimeout)
                    .withRuntime(ServerConfig.defaults().runtime().withInvocationTimeout(invocationTimeout))
                    .withInFlight(maxInFlight == null ? InFlightLimit.sized() : InFlightLimit.fixed(maxInFlight))
                    .withInstanceOf(endpoint);
            server = TandemServer.start(config, StagePath.classLoader(stagePath, TandemCli.class.getClassLoader()));
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 2;
        }
        UntilStopped stopped = new UntilStopped(server);
        try {
            server.servePipelineFile(pipeline);
        } catch (TandemException e) {
            err.println("error: " + e.getMessage());
            server.close();
            return 2;
        }
        err.printf("Instance of %s: POST http://%s:%d/invocations%n", endpoint, host, server.port());
        err.flush();
        stopped.await();
        return 0;
    }
}
