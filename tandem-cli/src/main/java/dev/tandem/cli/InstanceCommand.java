package dev.tandem.cli;

import dev.tandem.core.error.TandemException;
import dev.tandem.core.model.PipelineParser;
import dev.tandem.server.ServerConfig;
import dev.tandem.server.TandemServer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

    @Mixin
    InstanceOptions options = new InstanceOptions();

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
            ServerConfig config =
                    options.applyTo(ServerConfig.defaults().withHost(host)).withInstanceOf(endpoint);
            server = TandemServer.start(config, options.stageLoader());
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
