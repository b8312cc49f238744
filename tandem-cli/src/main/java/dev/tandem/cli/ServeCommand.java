package dev.tandem.cli;

import dev.tandem.core.error.TandemException;
import dev.tandem.core.model.PipelineParser;
import dev.tandem.server.ServerConfig;
import dev.tandem.server.TandemServer;
import dev.tandem.server.endpoint.ServerlessConfig;
import dev.tandem.server.http.ConnectionLimits;
import dev.tandem.server.http.IoTransport;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tandem serve}: runs the server, with an endpoint for each pipeline file given. */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        description = {
            "Start the Tandem server.",
            "Each PIPELINE file (a SageMaker CreateModel request body) becomes an endpoint named after"
                    + " its ModelName, with one instance, invokable at"
                    + " POST /endpoints/{ModelName}/invocations. Stop with Ctrl-C or SIGTERM: every"
                    + " container is stopped with it."
        })
final class ServeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "PIPELINE", arity = "0..*", description = "Pipeline files to serve.")
    List<Path> pipelines = new ArrayList<>();

    @Option(
            names = "--host",
            defaultValue = "127.0.0.1",
            description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @Mixin
    InstanceOptions options = new InstanceOptions();

    @Option(
            names = "--region",
            defaultValue = "us-east-1",
            description = "The AWS region named in ARNs (default: ${DEFAULT-VALUE}).")
    String region;

    @Option(
            names = "--account-id",
            defaultValue = "000000000000",
            description = "The 12-digit AWS account id named in ARNs and messages (default: ${DEFAULT-VALUE}).")
    String accountId;

    @Option(
            names = "--max-instances",
            defaultValue = "64",
            description = "How many instances all endpoints together may run; past it CreateEndpoint answers"
                    + " ResourceLimitExceeded (default: ${DEFAULT-VALUE}).")
    int maxInstances;

    @Option(
            names = "--access-keys",
            paramLabel = "FILE",
            description = "Require AWS Signature V4 on every request, by one of the keys in FILE (lines of"
                    + " 'ACCESS_KEY_ID SECRET_ACCESS_KEY'). Also: TANDEM_ACCESS_KEY_ID and"
                    + " TANDEM_SECRET_ACCESS_KEY in the environment. Off when neither is given.")
    @Nullable
    Path accessKeys;

    @Option(
            names = "--allow-unauthenticated",
            description = "Listen beyond 127.0.0.1 without access keys. Without this, such a server refuses to"
                    + " start: its control plane can run programs (exec: images) for whoever reaches it.")
    boolean allowUnauthenticated;

    @Option(
            names = "--stop-grace",
            defaultValue = "30s",
            description = "How long a container has to exit after SIGTERM before SIGKILL (default: ${DEFAULT-VALUE}).")
    Duration stopGrace;

    @Option(
            names = "--sandbox",
            description = "Run exec containers inside bubblewrap, with SageMaker's /opt/program and /opt/ml/model"
                    + " (a container's TANDEM_SANDBOX=none|bubblewrap overrides it).")
    boolean sandbox;

    @Option(
            names = "--subscribe",
            paramLabel = "TOPIC_ARN=URL",
            description = "Deliver the notifications of an SNS topic named in AsyncInferenceConfig to an HTTP(S)"
                    + " URL, in SNS's HTTP envelope; repeatable. Topics without one go to SNS when"
                    + " AWS_ENDPOINT_URL_SNS names a service.")
    List<String> subscriptions = new ArrayList<>();

    @Option(
            names = "--async-output",
            paramLabel = "DIR|s3://BUCKET/PREFIX",
            description = "Serve the PIPELINE files as asynchronous endpoints (InvokeEndpointAsync, `tandem"
                    + " invoke-async`), writing their results here.")
    @Nullable
    String asyncOutput;

    @Option(
            names = "--serverless",
            paramLabel = "MAX_CONCURRENCY",
            description = "Serve the PIPELINE files as serverless endpoints: no instance while idle, one started on"
                    + " the first request, up to MAX_CONCURRENCY requests at a time (1 to 200).")
    @Nullable
    Integer serverless;

    @Option(
            names = "--allow-exec",
            paramLabel = "DIR",
            description = "Run exec: programs only from DIR and its subfolders (repeatable); a model naming any other"
                    + " program is refused. Default: anywhere.")
    List<Path> execFolders = new ArrayList<>();

    @Option(
            names = "--open-metrics",
            description = "Serve GET /metrics without a signature even when access keys are configured, for a"
                    + " Prometheus scraper that cannot sign; every other operation but /ping still needs one.")
    boolean openMetrics;

    @Option(
            names = "--serverless-idle",
            defaultValue = "300s",
            description = "How long an instance of a serverless variant serves nothing before it stops; provisioned"
                    + " concurrency stays warm (default: ${DEFAULT-VALUE}).")
    Duration serverlessIdle;

    @Option(
            names = "--online-store",
            paramLabel = "redis://HOST:PORT",
            description = "Keep the feature store's online records in this Redis, shared by every server pointed at"
                    + " it (default: embedded in the data dir).")
    URI onlineStore;

    @Option(
            names = "--offline-flush-interval",
            defaultValue = "60s",
            description = "How often the feature groups' offline rows, kept in a journal as they are written, go out"
                    + " as Parquet files: fresher files against more of them (default: ${DEFAULT-VALUE}).")
    Duration offlineFlushInterval;

    @Option(
            names = "--idle-timeout",
            defaultValue = "75s",
            description = "How long a client connection may go without sending a complete request after opening or"
                    + " after its last answer; a request being served is never cut. Keep it above your clients'"
                    + " own idle time (60 s for the AWS SDKs) so that they close first (default: ${DEFAULT-VALUE}).")
    Duration idleTimeout;

    @Option(
            names = "--max-connections",
            description = "How many client connections may be open at once; more are closed as they come (default:"
                    + " 10,000, or half the process's open-file limit).")
    @Nullable
    Integer maxConnections;

    @Option(
            names = "--io-transport",
            defaultValue = "auto",
            converter = IoTransportConverter.class,
            description = "How the event loops move bytes: auto (io_uring where the kernel allows it, else epoll,"
                    + " else Java's NIO), io_uring, epoll or nio (default: ${DEFAULT-VALUE}).")
    IoTransport ioTransport;

    @Option(
            names = "--async-scale-in-after",
            defaultValue = "300s",
            description = "How long an asynchronous variant that Tandem scaled out from zero stays idle before it"
                    + " scales back in (default: ${DEFAULT-VALUE}).")
    Duration asyncScaleInAfter;

    @Option(
            names = "--kubernetes",
            description = "Be a gateway of a Kubernetes cluster: keep models, endpoints and the rest as Tandem's"
                    + " custom resources of --namespace (the API server found as kubectl finds it), and leave"
                    + " running the endpoints to Tandem's operator there (`tandem kubernetes operator`).")
    boolean kubernetes;

    @Option(
            names = "--namespace",
            description = "With --kubernetes: the namespace (default: $TANDEM_NAMESPACE, else the client"
                    + " configuration's, else default).")
    @Nullable
    String namespace;

    @Mixin
    SparkOptions spark;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        if (namespace != null && !kubernetes) {
            err.println("error: --namespace names the Kubernetes namespace of a gateway; give --kubernetes with it.");
            return 2;
        }
        // Check every file before anything starts, so that a mistake is reported at once.
        PipelineParser parser = new PipelineParser();
        for (Path file : pipelines) {
            try {
                parser.parse(file);
            } catch (TandemException e) {
                err.println("error: " + e.getMessage());
                return 2;
            }
        }
        Map<String, String> keys;
        try {
            keys = AccessKeys.read(accessKeys, System.getenv());
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 2;
        }
        Map<String, List<URI>> subscribers;
        try {
            subscribers = Subscriptions.parse(subscriptions);
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 2;
        }
        ServerlessConfig serverlessConfig = null;
        if (serverless != null) {
            if (asyncOutput != null) {
                err.println(
                        "error: --serverless and --async-output exclude each other: an endpoint is one or the other.");
                return 2;
            }
            try {
                serverlessConfig = new ServerlessConfig(ServerlessConfig.DEFAULT_MEMORY_MB, serverless, 0);
            } catch (TandemException e) {
                err.println("error: --serverless " + serverless + ": " + e.getMessage());
                return 2;
            }
        }
        ServerConfig defaults = ServerConfig.defaults();
        ServerConfig config;
        try {
            config = configure(defaults, keys, subscribers);
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 2;
        }
        ClassLoader stages;
        try {
            stages = options.stageLoader();
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 2;
        }
        TandemServer server;
        try {
            server = kubernetes
                    ? TandemServer.startGateway(config, stages, KubernetesGateway.cluster(namespace))
                    : TandemServer.start(config, stages);
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 2;
        }
        UntilStopped stopped = new UntilStopped(server);
        try {
            for (Path file : pipelines) {
                String endpoint = server.servePipelineFile(file, asyncOutputLocation(), serverlessConfig);
                err.printf(
                        "Endpoint %s: POST http://%s:%d/endpoints/%s/%s%n",
                        endpoint,
                        host,
                        server.port(),
                        endpoint,
                        asyncOutput == null ? "invocations" : "async-invocations");
            }
        } catch (TandemException e) {
            err.println("error: " + e.getMessage());
            server.close();
            return 2;
        }
        err.flush();
        stopped.await();
        return 0;
    }

    /** {@code --async-output} as a location: a folder becomes {@code file:} its absolute path. */
    private @Nullable String asyncOutputLocation() {
        if (asyncOutput == null || asyncOutput.startsWith("s3://") || asyncOutput.startsWith("file:")) {
            return asyncOutput;
        }
        return "file:" + Path.of(asyncOutput).toAbsolutePath().normalize();
    }

    static final class IoTransportConverter implements picocli.CommandLine.ITypeConverter<IoTransport> {
        @Override
        public IoTransport convert(String value) {
            return IoTransport.named(value);
        }
    }

    static final class SizeConverter implements picocli.CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return Units.bytes(value);
        }
    }

    /** The server's settings from the options; IllegalArgumentException names a bad value. */
    private ServerConfig configure(
            ServerConfig defaults, Map<String, String> keys, Map<String, List<URI>> subscribers) {
        return spark.applyTo(options.applyTo(defaults.withHost(host)
                .withAccessKeys(keys)
                .withMaxInstances(maxInstances)
                .withIdentity(region, accountId)
                .withUnauthenticatedBeyondLoopback(allowUnauthenticated)
                .withServerlessIdle(serverlessIdle)
                .withOpenMetrics(openMetrics)
                .withFeatures(defaults.features()
                        .withOfflineFlushInterval(offlineFlushInterval)
                        .withRedis(onlineStore))
                .withConnections(connectionLimits(defaults.connections()))
                .withIoTransport(ioTransport)
                .withAsync(defaults.async().withScaleInAfter(asyncScaleInAfter).withSubscribers(subscribers))
                .withRuntime(defaults.runtime()
                        .withStopGracePeriod(stopGrace)
                        .withSandbox(sandbox)
                        .withExecFolders(execFolders))));
    }

    private ConnectionLimits connectionLimits(ConnectionLimits defaults) {
        ConnectionLimits limits = defaults.withIdleTimeout(idleTimeout);
        return maxConnections == null ? limits : limits.withMaxConnections(maxConnections);
    }
}
