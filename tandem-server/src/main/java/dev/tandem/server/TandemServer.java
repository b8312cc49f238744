package dev.tandem.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.core.engine.PipelineEngine;
import dev.tandem.core.error.ValidationException;
import dev.tandem.core.model.PipelineDefinition;
import dev.tandem.core.model.PipelineParser;
import dev.tandem.runtime.ContainerLogs;
import dev.tandem.runtime.Runtimes;
import dev.tandem.runtime.builtin.BuiltinRuntime;
import dev.tandem.runtime.builtin.StageRegistry;
import dev.tandem.runtime.contract.ContractClient;
import dev.tandem.runtime.exec.ExecRuntime;
import dev.tandem.runtime.exec.ProcessRecords;
import dev.tandem.runtime.exec.Supervisor;
import dev.tandem.runtime.http.HttpRuntime;
import dev.tandem.runtime.model.ArchiveLimits;
import dev.tandem.runtime.model.ModelDataStore;
import dev.tandem.runtime.oci.ContainerEngine;
import dev.tandem.runtime.oci.OciRuntime;
import dev.tandem.runtime.storage.Locations;
import dev.tandem.runtime.storage.ObjectStore;
import dev.tandem.server.api.AsyncInvocationsApi;
import dev.tandem.server.api.ErrorResponses;
import dev.tandem.server.api.FeatureStoreApi;
import dev.tandem.server.api.InvocationsApi;
import dev.tandem.server.api.LogsApi;
import dev.tandem.server.api.TransformProgressApi;
import dev.tandem.server.async.AsyncAutoscaler;
import dev.tandem.server.async.AsyncInference;
import dev.tandem.server.async.AsyncQueue;
import dev.tandem.server.async.HttpSubscribers;
import dev.tandem.server.async.Notifications;
import dev.tandem.server.async.SnsPublisher;
import dev.tandem.server.async.TopicRouter;
import dev.tandem.server.auth.Authenticator;
import dev.tandem.server.batch.TransformJobs;
import dev.tandem.server.capture.DataCapture;
import dev.tandem.server.cluster.Cluster;
import dev.tandem.server.cluster.InstanceClient;
import dev.tandem.server.console.ConsoleAssets;
import dev.tandem.server.console.ConsoleRecorder;
import dev.tandem.server.console.EndpointOverviewApi;
import dev.tandem.server.control.Arns;
import dev.tandem.server.control.ClusterRouting;
import dev.tandem.server.control.ControlPlane;
import dev.tandem.server.control.ControlPlaneApi;
import dev.tandem.server.control.ServiceModel;
import dev.tandem.server.endpoint.Endpoint;
import dev.tandem.server.endpoint.EndpointRegistry;
import dev.tandem.server.endpoint.ServerlessConfig;
import dev.tandem.server.features.FeatureGroups;
import dev.tandem.server.features.FeatureStore;
import dev.tandem.server.features.OnlineStore;
import dev.tandem.server.features.StoreFeatureSource;
import dev.tandem.server.features.offline.OfflineStore;
import dev.tandem.server.http.HttpTransport;
import dev.tandem.server.http.IoTransport;
import dev.tandem.server.http.Listeners;
import dev.tandem.server.http.RequestRouter;
import dev.tandem.server.metrics.InvocationMetrics;
import dev.tandem.server.store.H2StateStore;
import dev.tandem.server.store.StateStore;
import dev.tandem.server.tracing.Tracing;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that wires Tandem together: the HTTP server, the APIs, the endpoints and the
 * runtimes that run their containers. Everything else gets its collaborators through its
 * constructor.
 */
public final class TandemServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TandemServer.class);

    private final ServerConfig config;
    private final Vertx vertx;
    private final io.vertx.core.transport.Transport ioTransport;
    private final ContractClient contractClient;
    private final ExecutorService virtualThreads;
    private final ExecutorService nativeThreads;
    private final TransformJobs transformJobs;
    private final ObjectStore objects;
    private final EndpointRegistry endpoints;
    private final Listeners httpServer;
    private final StateStore store;
    /** This server's own database: its state store, unless it is a cluster's gateway, and its queue. */
    private final H2StateStore database;

    private final ControlPlane controlPlane;
    private final DataCapture capture;
    private final AsyncQueue asyncQueue;
    private final AsyncInference async;
    private final AsyncAutoscaler autoscaler;
    private final ScheduledExecutorService timers;
    private final OnlineStore onlineStore;
    private final OfflineStore offlineStore;
    private final FeatureStore featureStore;
    private final AtomicBoolean sweeping = new AtomicBoolean();
    private final AtomicBoolean flushing = new AtomicBoolean();
    private final @Nullable SnsPublisher sns;
    /** Captured invocations waiting to be written; past it, captures are dropped and counted. */
    private static final int CAPTURE_QUEUE = 10_000;
    /**
     * The largest container answer held in memory, in payload limits: a bound against a container
     * that would exhaust the heap, set above the limit so that the engine's own check of what
     * passes between containers (with SageMaker's message) comes first, and a last container may
     * still answer more than a request may carry.
     */
    private static final long MAX_ANSWER_PAYLOADS = 4;

    private static final int EVENT_LOOPS = Runtime.getRuntime().availableProcessors();
    /** In-process inferences that may wait per core of the native pool: ~0.25 s of 1 ms models. */
    private static final int NATIVE_QUEUE_PER_CORE = 256;
    /** Each container's output file rotates at this size, keeping this many old files. */
    private static final long LOG_FILE_BYTES = 10L * 1024 * 1024;

    private static final int LOG_FILES_KEPT = 3;
    /** How many times a notification is tried, 1 s apart and doubling: 1 + 2 + 4 s of retries. */
    private static final int NOTIFICATION_ATTEMPTS = 4;

    private volatile boolean closed;
    private final @Nullable ClusterRouting clusterRouting;
    private final @Nullable Cluster cluster;

    private TandemServer(
            ServerConfig config,
            ClassLoader stageLoader,
            UnaryOperator<Handler<HttpServerRequest>> routing,
            Tracing tracing,
            Clock clock,
            @Nullable Cluster cluster) {
        // An instance server has no control plane: nothing in it starts programs on request.
        if (!config.loopbackOnly()
                && config.accessKeys().isEmpty()
                && !config.unauthenticatedBeyondLoopback()
                && config.instanceOf() == null) {
            throw new IllegalArgumentException("Refusing to listen on " + config.host() + " without access keys:"
                    + " anyone who reaches it could create models that run programs on this machine. Give"
                    + " --access-keys FILE (or TANDEM_ACCESS_KEY_ID and TANDEM_SECRET_ACCESS_KEY), listen on"
                    + " 127.0.0.1, or say --allow-unauthenticated if the network is yours alone.");
        }
        // Before anything is opened: a transport the machine cannot give fails the start with its reason.
        this.ioTransport = config.ioTransport().resolve();
        this.config = config;
        this.cluster = cluster;
        try {
            Files.createDirectories(config.dataDir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create data dir " + config.dataDir(), e);
        }
        // First, so that a data dir another server holds is refused before anything starts.
        this.database = H2StateStore.open(config.dataDir());
        // A gateway keeps the control plane's state in its cluster; the database still holds this
        // server's own queue and locks its data dir.
        this.store = cluster == null ? database : cluster.store();
        this.asyncQueue = database.asyncQueue();
        this.objects = new ObjectStore(config.s3());
        this.capture = new DataCapture(
                CAPTURE_QUEUE, objects, config.dataDir().resolve("capture-staging"), Duration.ofSeconds(5));
        this.vertx =
                Vertx.builder().with(vertxOptions()).withTransport(ioTransport).build();
        this.contractClient = new ContractClient(
                vertx, config.runtime().maxConnectionsPerContainer(), MAX_ANSWER_PAYLOADS * config.maxPayloadBytes());
        this.virtualThreads = Executors.newThreadPerTaskExecutor(virtualThreadFactory());
        // JNI calls pin virtual threads, so native inference gets platform threads, one per core,
        // and a bounded queue: past it a request is refused (ThrottlingException) instead of waiting.
        int cores = Runtime.getRuntime().availableProcessors();
        this.nativeThreads = new ThreadPoolExecutor(
                cores,
                cores,
                0,
                TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(NATIVE_QUEUE_PER_CORE * cores),
                Thread.ofPlatform().name("native-stage-", 0).daemon(true).factory());
        ProcessRecords processes = new ProcessRecords(config.dataDir().resolve("run"));
        int leftovers = processes.stopLeftovers(config.runtime().stopGracePeriod());
        if (leftovers > 0) {
            LOG.warn("Stopped {} container process(es) a previous server left running", leftovers);
        }
        ContainerLogs logs = ContainerLogs.inFolder(config.dataDir().resolve("logs"), LOG_FILE_BYTES, LOG_FILES_KEPT);
        Supervisor supervisor = new Supervisor(contractClient, config.runtime(), processes, logs);
        // Before the runtimes: in-process stages read it (builtin:feature-lookup).
        Arns arns = new Arns(config.region(), config.accountId());
        this.onlineStore = config.features().openOnlineStore(config.dataDir().resolve("features"));
        FeatureGroups featureGroups =
                new FeatureGroups(store, onlineStore, arns::featureGroup, config.region(), config.accountId(), clock);
        this.offlineStore = OfflineStore.open(
                config.dataDir().resolve("features").resolve("offline"), featureGroups, new Locations(objects), clock);
        this.featureStore = new FeatureStore(featureGroups, onlineStore, offlineStore, clock);
        Runtimes runtimes = new Runtimes(
                new ExecRuntime(supervisor),
                new HttpRuntime(contractClient, config.runtime(), logs),
                new BuiltinRuntime(
                        StageRegistry.discover(stageLoader),
                        virtualThreads,
                        nativeThreads,
                        logs,
                        new StoreFeatureSource(featureStore)),
                new OciRuntime(supervisor, ContainerEngine.detect(System.getenv()), serverId(config.dataDir())));
        ScheduledThreadPoolExecutor timerThread = new ScheduledThreadPoolExecutor(
                1, Thread.ofPlatform().name("timers").daemon(true).factory());
        // Most admission waits end early, their deadline cancelled: drop those at once.
        timerThread.setRemoveOnCancelPolicy(true);
        this.timers = timerThread;
        InvocationMetrics metrics = new InvocationMetrics(
                capture,
                // Read at scrape time, once the registry below exists.
                this::liveEndpoints,
                () -> store.endpoints().stream()
                        .map(e -> new InvocationMetrics.EndpointState(e.name(), e.status()))
                        .toList(),
                config.metrics(),
                clock);
        this.endpoints = new EndpointRegistry(
                runtimes,
                new ModelDataStore(config.dataDir(), ArchiveLimits.defaults(), objects),
                config.inFlight(),
                timers,
                config.serverlessIdle(),
                metrics::instanceStarted);
        this.sns = SnsPublisher.fromEnvironment(System.getenv());
        Notifications notifications = new Notifications(
                new TopicRouter(new HttpSubscribers(config.async().subscribers(), clock), sns),
                timers,
                virtualThreads,
                clock,
                config.region(),
                NOTIFICATION_ATTEMPTS,
                Duration.ofSeconds(1),
                metrics.async()::notificationFailed);
        this.async = new AsyncInference(
                asyncQueue,
                endpoints,
                new Locations(objects),
                notifications,
                metrics.async(),
                clock,
                config.dataDir().resolve("async-work"),
                new PipelineEngine(AsyncInference.MAX_PAYLOAD),
                config.async().maxAttempts());
        this.controlPlane = new ControlPlane(
                store,
                endpoints,
                arns,
                clock,
                Path.of("").toAbsolutePath(),
                config.startupTimeout(),
                config.maxInstances(),
                capture,
                async,
                cluster != null);
        this.autoscaler = new AsyncAutoscaler(
                async,
                new AsyncAutoscaler.Capacity() {
                    @Override
                    public List<AsyncAutoscaler.VariantCapacity> variants(String endpoint) {
                        return controlPlane.capacity(endpoint);
                    }

                    @Override
                    public void scale(String endpoint, String variant, int count) {
                        controlPlane.autoscale(endpoint, variant, count);
                    }
                },
                clock,
                config.async().scaleInAfter(),
                Duration.ofSeconds(1));
        // A gateway routes to the instances its cluster runs, as it reports them ready.
        this.clusterRouting = cluster == null
                ? null
                : new ClusterRouting(
                        cluster,
                        endpoints,
                        capture,
                        (address, model) -> new InstanceClient(contractClient, address, instanceTimeout(config, model)),
                        timers);
        Authenticator authenticator =
                config.accessKeys().isEmpty() ? Authenticator.NONE : Authenticator.sigV4(config.accessKeys(), clock);
        this.transformJobs = new TransformJobs(
                store,
                controlPlane,
                endpoints,
                objects,
                config.dataDir().resolve("batch"),
                clock,
                config.startupTimeout(),
                config.maxInstances(),
                config.spark(),
                config.s3(),
                config.runtime());
        scheduleExpiredRecordRemoval();
        scheduleOfflineFlush(config.features().offlineFlushInterval());
        ControlPlaneApi controlPlaneApi =
                new ControlPlaneApi(ServiceModel.load(), controlPlane, transformJobs, featureStore, virtualThreads);
        ErrorResponses errors = new ErrorResponses(config.region(), config.accountId());
        ConsoleRecorder consoleRecorder = new ConsoleRecorder(config.metrics());
        InvocationsApi invocations = new InvocationsApi(
                endpoints,
                new PipelineEngine(config.maxPayloadBytes()),
                errors,
                config.maxPayloadBytes(),
                config.accountId(),
                metrics,
                tracing,
                capture,
                async::isAsync,
                config.runtime().invocationTimeout(),
                consoleRecorder);
        this.httpServer = new Listeners(
                vertx,
                HttpTransport.serverOptions(config.host(), config.port()),
                config.connections(),
                EVENT_LOOPS,
                routing.apply(new RequestRouter(
                        invocations,
                        new AsyncInvocationsApi(async, endpoints, errors, config.accountId()),
                        controlPlaneApi,
                        new LogsApi(endpoints, errors, config.accountId()),
                        new EndpointOverviewApi(endpoints, consoleRecorder, errors, config.accountId()),
                        new ConsoleAssets(),
                        new TransformProgressApi(transformJobs, errors),
                        new FeatureStoreApi(featureStore, errors),
                        errors,
                        metrics,
                        authenticator,
                        config.openMetrics(),
                        config.instanceOf(),
                        () -> config.instanceOf() != null
                                && endpoints
                                        .find(config.instanceOf())
                                        .map(Endpoint::isInService)
                                        .orElse(false))));
    }

    /**
     * Expired records are hidden when read; this removes them from the disk as well, each minute —
     * on a virtual thread, since a sweep of a large group must not hold up the timer thread that
     * admission waits rely on, and never two sweeps at once.
     */
    @SuppressWarnings("FutureReturnValueIgnored") // runs until the timers shut down; it logs its own failures
    private void scheduleExpiredRecordRemoval() {
        timers.scheduleWithFixedDelay(
                () -> {
                    if (sweeping.compareAndSet(false, true)) {
                        virtualThreads.execute(this::removeExpiredRecords);
                    }
                },
                1,
                1,
                TimeUnit.MINUTES);
    }

    private void removeExpiredRecords() {
        try {
            int removed = featureStore.removeExpired();
            if (removed > 0) {
                LOG.info("Removed {} expired feature record(s) from the online store", removed);
            }
        } catch (RuntimeException e) {
            LOG.warn("Removing expired feature records failed; next try in a minute", e);
        } finally {
            sweeping.set(false);
        }
    }

    /**
     * Writes the offline journal to Parquet files every {@code interval} (rows a previous server
     * left in it go out at the first) — on a virtual thread, as uploads take their time, and never
     * two flushes at once.
     */
    @SuppressWarnings("FutureReturnValueIgnored") // runs until the timers shut down; it logs its own failures
    private void scheduleOfflineFlush(Duration interval) {
        timers.scheduleWithFixedDelay(
                () -> {
                    if (flushing.compareAndSet(false, true)) {
                        virtualThreads.execute(this::flushOfflineStore);
                    }
                },
                0,
                interval.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    private void flushOfflineStore() {
        try {
            int rows = offlineStore.flush();
            if (rows > 0) {
                LOG.debug("Wrote {} offline feature row(s) to Parquet", rows);
            }
        } catch (RuntimeException e) {
            LOG.warn("Writing the offline feature store failed; the rows stay in its journal for the next try", e);
        } finally {
            flushing.set(false);
        }
    }

    public FeatureStore featureStore() {
        return featureStore;
    }

    /**
     * How long a gateway waits for an instance of {@code model} to answer: each of its containers'
     * time to answer, and a little for the hop (the instance applies each container's own deadline).
     */
    private static Duration instanceTimeout(ServerConfig config, PipelineDefinition model) {
        return config.runtime()
                .invocationTimeout()
                .multipliedBy(model.containers().size())
                .plusSeconds(5);
    }

    private Collection<Endpoint> liveEndpoints() {
        return endpoints.all();
    }

    /** Starts a server listening as {@code config} says; {@link #port()} tells the port bound. */
    public static TandemServer start(ServerConfig config) {
        return start(config, TandemServer.class.getClassLoader());
    }

    /**
     * Starts a server whose {@code builtin:} stages are found on {@code stageLoader}'s class path.
     */
    public static TandemServer start(ServerConfig config, ClassLoader stageLoader) {
        return start(config, stageLoader, UnaryOperator.identity());
    }

    /**
     * Starts a server for an embedding application: {@code routing} gets Tandem's request handler
     * and returns the one the server uses, so the application can serve paths of its own next to
     * Tandem's (the benchmarks serve a plain echo route this way, as their baseline).
     */
    public static TandemServer start(
            ServerConfig config, ClassLoader stageLoader, UnaryOperator<Handler<HttpServerRequest>> routing) {
        return start(config, stageLoader, routing, Tracing.fromEnvironment(System.getenv()));
    }

    /** Starts a server that traces into {@code tracing} (tests give one with an in-memory exporter). */
    public static TandemServer start(
            ServerConfig config,
            ClassLoader stageLoader,
            UnaryOperator<Handler<HttpServerRequest>> routing,
            Tracing tracing) {
        return start(config, stageLoader, routing, tracing, Clock.systemUTC());
    }

    /**
     * Starts a server whose time — timestamps, time to live, idle time — comes from {@code clock}:
     * tests move time forward instead of waiting.
     */
    public static TandemServer start(
            ServerConfig config,
            ClassLoader stageLoader,
            UnaryOperator<Handler<HttpServerRequest>> routing,
            Tracing tracing,
            Clock clock) {
        return start(config, stageLoader, routing, tracing, clock, null);
    }

    /**
     * Starts a gateway of {@code cluster}: its control plane keeps its state in the cluster's store
     * and the cluster's controller runs the endpoints (see {@link Cluster}).
     */
    public static TandemServer startGateway(ServerConfig config, ClassLoader stageLoader, Cluster cluster) {
        return start(
                config,
                stageLoader,
                UnaryOperator.identity(),
                Tracing.fromEnvironment(System.getenv()),
                Clock.systemUTC(),
                cluster);
    }

    private static TandemServer start(
            ServerConfig config,
            ClassLoader stageLoader,
            UnaryOperator<Handler<HttpServerRequest>> routing,
            Tracing tracing,
            Clock clock,
            @Nullable Cluster cluster) {
        TandemServer server = new TandemServer(config, stageLoader, routing, tracing, clock, cluster);
        try {
            server.httpServer.listen().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            server.close();
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new IllegalStateException(
                    "cannot listen on " + config.host() + ":" + config.port() + ": " + cause.getMessage(), cause);
        }
        // Before the endpoints come back: requests a previous server left in progress are queued again.
        server.async.start();
        server.controlPlane.restore();
        if (server.clusterRouting != null) {
            server.clusterRouting.start();
        }
        server.transformJobs.restore();
        server.autoscaler.start();
        LOG.info(
                "Tandem listening on http://{}:{} (data dir {}, {} transport)",
                config.host(),
                server.port(),
                config.dataDir(),
                IoTransport.labelOf(server.ioTransport));
        return server;
    }

    /** A stable name for this server's data dir: the label its OCI containers carry. */
    private static String serverId(Path dataDir) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(dataDir.toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(digest, 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    public int port() {
        return httpServer.actualPort();
    }

    public ServerConfig config() {
        return config;
    }

    /**
     * Serves a pipeline file as endpoint {@code ModelName}, through the control plane's own
     * operations; its relative paths are relative to the file's folder.
     *
     * @return the endpoint's name
     */
    public String servePipelineFile(Path file) {
        return servePipelineFile(file, null, null);
    }

    /**
     * Serves a pipeline file as an endpoint: asynchronous when {@code asyncOutputPath} names where
     * its results go ({@code s3://bucket/prefix} or {@code file:/folder}), serverless when {@code
     * serverless} is given, else one instance.
     *
     * @return the endpoint's name
     */
    public String servePipelineFile(
            Path file, @Nullable String asyncOutputPath, @Nullable ServerlessConfig serverless) {
        byte[] json;
        try {
            json = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ValidationException("Cannot read pipeline file " + file + ": " + e.getMessage());
        }
        Path folder = file.toAbsolutePath().getParent();
        try {
            return servePipeline(json, folder == null ? Path.of("/") : folder, asyncOutputPath, serverless);
        } catch (ValidationException e) {
            throw new ValidationException("Pipeline file " + file + ": " + e.getMessage());
        }
    }

    /** Serves a pipeline (a CreateModel body) whose relative paths are relative to {@code baseDir}. */
    public String servePipeline(byte[] json, Path baseDir) {
        return servePipeline(json, baseDir, null, null);
    }

    private String servePipeline(
            byte[] json, Path baseDir, @Nullable String asyncOutputPath, @Nullable ServerlessConfig serverless) {
        JsonNode request;
        try {
            request = new ObjectMapper().readTree(json);
        } catch (IOException e) {
            // The parser words JSON errors with their line and column.
            new PipelineParser().parse(json, baseDir);
            throw new ValidationException("not valid JSON");
        }
        if (request == null || !request.isObject()) {
            throw new ValidationException("expected a JSON object (a CreateModel request body)");
        }
        return controlPlane.servePipeline(request, baseDir, asyncOutputPath, serverless);
    }

    public TransformJobs transformJobs() {
        return transformJobs;
    }

    public ControlPlane controlPlane() {
        return controlPlane;
    }

    public EndpointRegistry endpoints() {
        return endpoints;
    }

    /**
     * Stops taking requests, lets those in flight finish (for up to {@code --stop-grace}), then stops
     * every container and waits for them to exit.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Duration grace = config.runtime().stopGracePeriod();
        LOG.info("Tandem stopping: no new connections; requests in flight have {} s to finish", grace.toSeconds());
        // Graceful: the listener closes at once, each connection once its request in flight is answered.
        await(httpServer.shutdown(grace.toMillis()), grace.plusSeconds(5));
        autoscaler.close();
        async.close();
        transformJobs.close();
        if (clusterRouting != null) {
            clusterRouting.close();
        }
        controlPlane.close();
        endpoints.close();
        capture.close();
        timers.shutdownNow();
        if (sns != null) {
            sns.close();
        }
        asyncQueue.close();
        // After the timers: a flush the timers started may still run, and this one waits for it.
        offlineStore.close();
        onlineStore.close();
        if (cluster != null) {
            // Its store with it.
            cluster.close();
            database.close();
        } else {
            store.close();
        }
        objects.close();
        virtualThreads.shutdown();
        nativeThreads.shutdown();
        contractClient.close();
        await(vertx.close());
        LOG.info("Tandem stopped");
    }

    private static void await(io.vertx.core.Future<?> future) {
        await(future, Duration.ofSeconds(30));
    }

    private static void await(io.vertx.core.Future<?> future, Duration timeout) {
        try {
            future.toCompletionStage().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.warn("shutdown step did not finish cleanly: {}", e.toString());
        }
    }

    /**
     * One event loop per core (Vert.x's default is two): the loops only move bytes, and on small
     * machines extra loops cost context switches. The transport is the configured one ({@link
     * IoTransport}).
     */
    private static VertxOptions vertxOptions() {
        return new VertxOptions().setEventLoopPoolSize(EVENT_LOOPS);
    }

    private static ThreadFactory virtualThreadFactory() {
        return Thread.ofVirtual()
                .name("tandem-request-", 0)
                .uncaughtExceptionHandler(
                        (thread, error) -> LOG.error("Uncaught failure in {}", thread.getName(), error))
                .factory();
    }
}
