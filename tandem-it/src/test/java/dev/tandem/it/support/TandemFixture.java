package dev.tandem.it.support;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.runtime.RuntimeSettings;
import dev.tandem.server.ServerConfig;
import dev.tandem.server.TandemServer;
import dev.tandem.server.endpoint.Endpoint;
import dev.tandem.server.endpoint.InFlightLimit;
import dev.tandem.server.tracing.Tracing;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.function.UnaryOperator;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.internal.waiters.ResponseOrException;
import software.amazon.awssdk.core.waiters.WaiterOverrideConfiguration;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.sagemaker.SageMakerClient;
import software.amazon.awssdk.services.sagemaker.model.DescribeEndpointRequest;
import software.amazon.awssdk.services.sagemaker.model.DescribeEndpointResponse;
import software.amazon.awssdk.services.sagemakerruntime.SageMakerRuntimeAsyncClient;
import software.amazon.awssdk.services.sagemakerruntime.SageMakerRuntimeClient;

/**
 * A real Tandem server on a free port, with a {@code serve} script in its work folder that runs
 * {@link TestContainer} as a child process: pipelines in tests say {@code "Image":
 * "exec:test-container"}. Runtime timings are shortened so restarts happen in tests' time.
 */
public final class TandemFixture implements AutoCloseable {
    public static final String CONTAINER_IMAGE = "exec:test-container";

    private final Path workDir;
    private final TandemServer server;
    private final HttpClient http = HttpClient.newHttpClient();
    private SageMakerRuntimeClient sdk;
    private SageMakerClient sageMaker;

    private TandemFixture(Path workDir, TandemServer server) {
        this.workDir = workDir;
        this.server = server;
    }

    public static TandemFixture start(Path workDir) {
        return start(workDir, UnaryOperator.identity());
    }

    public static TandemFixture start(Path workDir, UnaryOperator<ServerConfig> customize) {
        return start(workDir, customize, Tracing.off());
    }

    /** A server that traces into {@code tracing}. */
    public static TandemFixture start(Path workDir, UnaryOperator<ServerConfig> customize, Tracing tracing) {
        return start(workDir, customize, tracing, java.time.Clock.systemUTC());
    }

    /** A server whose time comes from {@code clock}. */
    public static TandemFixture start(
            Path workDir, UnaryOperator<ServerConfig> customize, Tracing tracing, java.time.Clock clock) {
        writeContainerScript(workDir.resolve("test-container"));
        writeContainerScript(workDir.resolve("faulty-container"), FaultyContainer.class);
        ServerConfig defaults = ServerConfig.defaults();
        RuntimeSettings fast = defaults.runtime()
                .withHealthChecks(Duration.ofMillis(200), 2)
                .withRestartBackoff(Duration.ofMillis(100), Duration.ofSeconds(1))
                .withStopGracePeriod(Duration.ofSeconds(5));
        ServerConfig config = customize.apply(defaults.withPort(0)
                .withDataDir(workDir.resolve("data"))
                // The test containers serve each request on a thread of its own, so they take many at
                // once; sized by this machine's cores (their default) a 2-core CI runner would refuse
                // the concurrent clients of tests about something else. OverloadIT sets its own.
                .withInFlight(InFlightLimit.fixed(64))
                .withStartupTimeout(Duration.ofSeconds(60))
                .withRuntime(fast));
        return new TandemFixture(
                workDir,
                TandemServer.start(
                        config, TandemFixture.class.getClassLoader(), UnaryOperator.identity(), tracing, clock));
    }

    /** Writes the {@code serve} program that starts {@link TestContainer} with this JVM's java. */
    public static void writeContainerScript(Path folder) {
        writeContainerScript(folder, TestContainer.class);
    }

    /** Writes the {@code serve} program that starts {@code main} with this JVM's java. */
    public static void writeContainerScript(Path folder, Class<?> main) {
        try {
            Files.createDirectories(folder);
            String java = ProcessHandle.current().info().command().orElse("java");
            String classes = Path.of(TestContainer.class
                            .getProtectionDomain()
                            .getCodeSource()
                            .getLocation()
                            .toURI())
                    .toString();
            Path serve = folder.resolve("serve");
            Files.writeString(
                    serve,
                    "#!/bin/sh\nexec '" + java + "' -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -Xmx64m -cp '"
                            + classes + "' " + main.getName() + " \"$@\"\n");
            Files.setPosixFilePermissions(serve, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public TandemServer server() {
        return server;
    }

    public Path workDir() {
        return workDir;
    }

    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + server.port());
    }

    /** Deploys a pipeline file's JSON (paths relative to the work folder) and waits until it serves. */
    public Endpoint deployAndAwait(String pipelineJson) {
        Endpoint endpoint = deploy(pipelineJson);
        awaitInService(endpoint);
        return endpoint;
    }

    /** Serves a pipeline file, paths relative to its folder, as {@code tandem serve FILE} does. */
    public Endpoint deployFileAndAwait(Path pipelineFile) {
        try {
            Endpoint endpoint = deploy(
                    Files.readString(pipelineFile),
                    pipelineFile.toAbsolutePath().getParent());
            awaitInService(endpoint);
            return endpoint;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Serves a pipeline through the control plane, as {@code tandem serve FILE} does, and returns
     * its endpoint once its instances exist (they may still be starting).
     */
    public Endpoint deploy(String pipelineJson) {
        return deploy(pipelineJson, workDir);
    }

    private Endpoint deploy(String pipelineJson, Path baseDir) {
        String name = server.servePipeline(pipelineJson.getBytes(StandardCharsets.UTF_8), baseDir);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            var endpoint = server.endpoints().find(name);
            if (endpoint.isPresent()) {
                return endpoint.get();
            }
            String status = server.controlPlane().endpoint(name).status();
            assertThat(status)
                    .as(
                            "endpoint %s: %s",
                            name, server.controlPlane().endpoint(name).failureReason())
                    .isNotEqualTo("Failed");
            assertThat(System.nanoTime())
                    .as("endpoint %s deployed within 30 s", name)
                    .isLessThan(deadline);
            sleep(Duration.ofMillis(10));
        }
    }

    public static void awaitInService(Endpoint endpoint) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!endpoint.isInService()) {
            assertThat(System.nanoTime())
                    .as("endpoint %s in service within 60 s", endpoint.name())
                    .isLessThan(deadline);
            sleep(Duration.ofMillis(50));
        }
    }

    /** POSTs to InvokeEndpoint over plain HTTP; {@code headers} are name, value pairs. */
    public HttpResponse<String> invoke(String endpoint, String body, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(
                        baseUrl().resolve("/endpoints/" + endpoint + "/invocations"))
                .timeout(Duration.ofSeconds(90))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** SDK waiters polling every 100 ms: a local server changes state in moments, not minutes. */
    public static final WaiterOverrideConfiguration FAST_WAITER = WaiterOverrideConfiguration.builder()
            .backoffStrategyV2(BackoffStrategy.fixedDelay(Duration.ofMillis(100)))
            .maxAttempts(600)
            .build();

    /** Waits with the SDK's own waiter until {@code endpoint} is InService; its description then. */
    public static DescribeEndpointResponse awaitInService(SageMakerClient sm, String endpoint) {
        ResponseOrException<DescribeEndpointResponse> outcome = sm.waiter()
                .waitUntilEndpointInService(
                        DescribeEndpointRequest.builder().endpointName(endpoint).build(), FAST_WAITER)
                .matched();
        return outcome.response()
                .orElseThrow(() -> new AssertionError(outcome.exception().orElseThrow()));
    }

    /** InvokeEndpoint through the SDK with a text body; the answer's body. */
    public String invokeText(String endpoint, String body) {
        return sdk().invokeEndpoint(
                        r -> r.endpointName(endpoint).contentType("text/plain").body(SdkBytes.fromUtf8String(body)))
                .body()
                .asUtf8String();
    }

    /**
     * The AWS SDK for Java v2's async client — the only one with InvokeEndpointWithResponseStream —
     * pointed at {@code url}, without retries (on an error event the SDK would send the whole
     * request again); the caller closes it.
     */
    public static SageMakerRuntimeAsyncClient asyncClient(URI url, String accessKey, String secretKey) {
        return SageMakerRuntimeAsyncClient.builder()
                .endpointOverride(url)
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
                .httpClientBuilder(NettyNioAsyncHttpClient.builder())
                .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
    }

    /** The AWS SDK for Java v2 client, pointed at this server, without retries. */
    public synchronized SageMakerRuntimeClient sdk() {
        if (sdk == null) {
            sdk = pointAt(SageMakerRuntimeClient.builder(), baseUrl(), "test", "test")
                    .build();
        }
        return sdk;
    }

    /** The AWS SDK for Java v2 control-plane client, pointed at this server, without retries. */
    public synchronized SageMakerClient sageMaker() {
        if (sageMaker == null) {
            sageMaker = pointAt(SageMakerClient.builder(), baseUrl(), "test", "test")
                    .build();
        }
        return sageMaker;
    }

    /**
     * Sets up any AWS SDK client builder to call {@code url} with the given credentials, without
     * retries, so that a test sees every answer as it was given.
     */
    public static <B extends AwsSyncClientBuilder<B, ?> & AwsClientBuilder<B, ?>> B pointAt(
            B builder, URI url, String accessKey, String secretKey) {
        return builder.endpointOverride(url)
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
                .httpClient(UrlConnectionHttpClient.builder()
                        .socketTimeout(Duration.ofSeconds(90))
                        .build())
                .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry()));
    }

    public static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        if (sdk != null) {
            sdk.close();
        }
        if (sageMaker != null) {
            sageMaker.close();
        }
        server.close();
    }
}
