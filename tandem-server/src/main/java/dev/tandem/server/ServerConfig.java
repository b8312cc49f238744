package dev.tandem.server;

import dev.tandem.runtime.RuntimeSettings;
import dev.tandem.runtime.storage.S3Settings;
import dev.tandem.server.async.AsyncOptions;
import dev.tandem.server.batch.SparkSettings;
import dev.tandem.server.endpoint.InFlightLimit;
import dev.tandem.server.features.FeatureStoreSettings;
import dev.tandem.server.http.ConnectionLimits;
import dev.tandem.server.http.IoTransport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Everything the server is configured with; immutable and validated when built. The defaults are
 * in {@link #defaults()}, in one place.
 *
 * @param host the address to listen on ({@code 127.0.0.1})
 * @param port the port to listen on ({@code 8080}; 0 picks a free one)
 * @param dataDir where Tandem keeps its state and extracted models ({@code .tandem})
 * @param maxPayloadBytes the largest request body, and the largest payload between two containers
 *     (6 MB, SageMaker's 6,291,456 bytes)
 * @param startupTimeout how long a container has to become healthy (600 s, SageMaker's
 *     ContainerStartupHealthCheckTimeoutInSeconds default)
 * @param region the AWS region named in ARNs and messages ({@code us-east-1})
 * @param accountId the AWS account id named in ARNs and messages ({@code 000000000000})
 * @param runtime how containers are run, timed and restarted
 * @param maxInstances how many instances all endpoints together may run (64): this machine's
 *     "account limit", past which CreateEndpoint and UpdateEndpoint answer ResourceLimitExceeded
 * @param metrics whether invocations are counted and timed for {@code GET /metrics} (on)
 * @param accessKeys secret access keys by access key id; when any is given, every request must
 *     carry a valid AWS Signature V4 by one of them (none: authentication is off)
 * @param s3 how to reach the S3-compatible store of {@code s3://} model data and batch locations
 *     (from the standard AWS environment variables)
 * @param async asynchronous inference: scale-in, retries, notification subscribers
 * @param unauthenticatedBeyondLoopback whether a server listening beyond the loopback interface may
 *     run without access keys (no): its control plane can start {@code exec:} programs, so anyone
 *     who reaches it could run programs on this machine
 * @param inFlight how many requests one instance takes at a time before the next is refused (sized
 *     to its containers)
 * @param serverlessIdle how long an instance of a serverless variant serves nothing before it stops
 *     (5 minutes; SageMaker's is a few minutes and not settable)
 * @param openMetrics whether {@code GET /metrics} is served without a signature when access keys
 *     are configured (no), for a scraper that cannot sign
 * @param connections how long a client connection may idle and how many may be open
 * @param ioTransport how the event loops move bytes (auto: io_uring where the kernel allows it, else
 *     epoll, else NIO)
 * @param features how the feature store keeps its records
 * @param instanceOf when set, this server is one instance of that endpoint and speaks SageMaker's
 *     container contract, as a model container does: {@code POST /invocations} invokes the
 *     endpoint, {@code GET /ping} answers 200 once it is in service, and there is no control plane
 *     (how Tandem runs in a Kubernetes pod, behind a gateway). Null (the default): a whole server
 * @param spark the Spark cluster that batch transform jobs run on; null (the default): they run on
 *     this machine
 */
public record ServerConfig(
        String host,
        int port,
        Path dataDir,
        long maxPayloadBytes,
        Duration startupTimeout,
        String region,
        String accountId,
        RuntimeSettings runtime,
        Map<String, String> accessKeys,
        int maxInstances,
        boolean metrics,
        S3Settings s3,
        AsyncOptions async,
        boolean unauthenticatedBeyondLoopback,
        InFlightLimit inFlight,
        Duration serverlessIdle,
        boolean openMetrics,
        ConnectionLimits connections,
        IoTransport ioTransport,
        FeatureStoreSettings features,
        @Nullable String instanceOf,
        @Nullable SparkSettings spark) {

    public static final long SAGEMAKER_MAX_PAYLOAD = 6_291_456L;
    private static final Pattern ACCOUNT = Pattern.compile("\\d{12}");

    public ServerConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(dataDir, "data-dir");
        Objects.requireNonNull(startupTimeout, "startup-timeout");
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(runtime, "runtime");
        Objects.requireNonNull(s3, "s3");
        Objects.requireNonNull(async, "async");
        Objects.requireNonNull(inFlight, "in-flight");
        Objects.requireNonNull(serverlessIdle, "serverless-idle");
        Objects.requireNonNull(connections, "connections");
        Objects.requireNonNull(ioTransport, "io-transport");
        Objects.requireNonNull(features, "features");
        if (serverlessIdle.isNegative() || serverlessIdle.isZero()) {
            throw new IllegalArgumentException("serverless-idle must be positive, was " + serverlessIdle);
        }
        accessKeys = Map.copyOf(accessKeys);
        if (maxInstances < 1) {
            throw new IllegalArgumentException("max-instances must be at least 1, was " + maxInstances);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0 to 65535, was " + port);
        }
        if (maxPayloadBytes < 1) {
            throw new IllegalArgumentException("max-payload must be positive, was " + maxPayloadBytes);
        }
        if (startupTimeout.isNegative() || startupTimeout.isZero()) {
            throw new IllegalArgumentException("startup-timeout must be positive, was " + startupTimeout);
        }
        if (!ACCOUNT.matcher(accountId).matches()) {
            throw new IllegalArgumentException("account-id must be 12 digits, was '" + accountId + "'");
        }
    }

    public static ServerConfig defaults() {
        return new ServerConfig(
                "127.0.0.1",
                8080,
                Path.of(".tandem"),
                SAGEMAKER_MAX_PAYLOAD,
                Duration.ofMinutes(10), // SageMaker: 600 s
                "us-east-1",
                "000000000000",
                RuntimeSettings.defaults(),
                Map.of(),
                64,
                true,
                S3Settings.fromEnvironment(System.getenv()),
                AsyncOptions.defaults(),
                false,
                InFlightLimit.sized(),
                Duration.ofMinutes(5),
                false,
                ConnectionLimits.defaults(),
                IoTransport.AUTO,
                FeatureStoreSettings.defaults(),
                null,
                null);
    }

    public ServerConfig withHost(String value) {
        return edit(b -> b.host = value);
    }

    public ServerConfig withPort(int value) {
        return edit(b -> b.port = value);
    }

    public ServerConfig withDataDir(Path value) {
        return edit(b -> b.dataDir = value);
    }

    public ServerConfig withMaxPayloadBytes(long value) {
        return edit(b -> b.maxPayloadBytes = value);
    }

    public ServerConfig withStartupTimeout(Duration value) {
        return edit(b -> b.startupTimeout = value);
    }

    public ServerConfig withIdentity(String newRegion, String newAccountId) {
        return edit(b -> {
            b.region = newRegion;
            b.accountId = newAccountId;
        });
    }

    public ServerConfig withRuntime(RuntimeSettings value) {
        return edit(b -> b.runtime = value);
    }

    public ServerConfig withAccessKeys(Map<String, String> value) {
        return edit(b -> b.accessKeys = value);
    }

    public ServerConfig withMaxInstances(int value) {
        return edit(b -> b.maxInstances = value);
    }

    public ServerConfig withMetrics(boolean value) {
        return edit(b -> b.metrics = value);
    }

    public ServerConfig withS3(S3Settings value) {
        return edit(b -> b.s3 = value);
    }

    public ServerConfig withAsync(AsyncOptions value) {
        return edit(b -> b.async = value);
    }

    public ServerConfig withUnauthenticatedBeyondLoopback(boolean value) {
        return edit(b -> b.unauthenticatedBeyondLoopback = value);
    }

    public ServerConfig withInFlight(InFlightLimit value) {
        return edit(b -> b.inFlight = value);
    }

    public ServerConfig withServerlessIdle(Duration value) {
        return edit(b -> b.serverlessIdle = value);
    }

    public ServerConfig withConnections(ConnectionLimits value) {
        return edit(draft -> draft.connections = value);
    }

    public ServerConfig withIoTransport(IoTransport value) {
        return edit(draft -> draft.ioTransport = value);
    }

    public ServerConfig withFeatures(FeatureStoreSettings value) {
        return edit(b -> b.features = value);
    }

    public ServerConfig withOpenMetrics(boolean value) {
        return edit(b -> b.openMetrics = value);
    }

    /** One instance of {@code endpoint}, speaking the container contract (see {@link #instanceOf()}). */
    public ServerConfig withInstanceOf(String endpoint) {
        return edit(b -> b.instanceOf = endpoint);
    }

    /** Batch transform jobs run on this Spark cluster (see {@link #spark()}). */
    public ServerConfig withSpark(SparkSettings value) {
        return edit(b -> b.spark = value);
    }

    /** Whether {@link #host()} is reachable only from this machine. */
    public boolean loopbackOnly() {
        return host.equals("localhost") || host.startsWith("127.") || host.equals("::1") || host.equals("[::1]");
    }

    /** A copy with the changes {@code change} makes, validated like any other. */
    private ServerConfig edit(java.util.function.Consumer<Draft> change) {
        Draft draft = new Draft(this);
        change.accept(draft);
        return draft.build();
    }

    /** The components of a config being changed; one place, so each wither is one line. */
    private static final class Draft {
        String host;
        int port;
        Path dataDir;
        long maxPayloadBytes;
        Duration startupTimeout;
        String region;
        String accountId;
        RuntimeSettings runtime;
        Map<String, String> accessKeys;
        int maxInstances;
        boolean metrics;
        S3Settings s3;
        AsyncOptions async;
        boolean unauthenticatedBeyondLoopback;
        InFlightLimit inFlight;
        Duration serverlessIdle;
        boolean openMetrics;
        ConnectionLimits connections;
        IoTransport ioTransport;
        FeatureStoreSettings features;

        @Nullable
        String instanceOf;

        @Nullable
        SparkSettings spark;

        Draft(ServerConfig from) {
            host = from.host;
            port = from.port;
            dataDir = from.dataDir;
            maxPayloadBytes = from.maxPayloadBytes;
            startupTimeout = from.startupTimeout;
            region = from.region;
            accountId = from.accountId;
            runtime = from.runtime;
            accessKeys = from.accessKeys;
            maxInstances = from.maxInstances;
            metrics = from.metrics;
            s3 = from.s3;
            async = from.async;
            unauthenticatedBeyondLoopback = from.unauthenticatedBeyondLoopback;
            inFlight = from.inFlight;
            serverlessIdle = from.serverlessIdle;
            openMetrics = from.openMetrics;
            connections = from.connections;
            ioTransport = from.ioTransport;
            features = from.features;
            instanceOf = from.instanceOf;
            spark = from.spark;
        }

        ServerConfig build() {
            return new ServerConfig(
                    host,
                    port,
                    dataDir,
                    maxPayloadBytes,
                    startupTimeout,
                    region,
                    accountId,
                    runtime,
                    accessKeys,
                    maxInstances,
                    metrics,
                    s3,
                    async,
                    unauthenticatedBeyondLoopback,
                    inFlight,
                    serverlessIdle,
                    openMetrics,
                    connections,
                    ioTransport,
                    features,
                    instanceOf,
                    spark);
        }
    }
}
