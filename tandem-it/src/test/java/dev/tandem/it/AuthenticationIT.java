package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.it.support.TandemFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.services.sagemaker.SageMakerClient;
import software.amazon.awssdk.services.sagemaker.model.SageMakerException;
import software.amazon.awssdk.services.sagemakerruntime.SageMakerRuntimeAsyncClient;
import software.amazon.awssdk.services.sagemakerruntime.SageMakerRuntimeClient;
import software.amazon.awssdk.services.sagemakerruntime.model.InvokeEndpointWithResponseStreamResponseHandler;
import software.amazon.awssdk.services.sagemakerruntime.model.SageMakerRuntimeException;

/** With access keys configured, every request needs a valid AWS Signature V4 by one of them. */
class AuthenticationIT {
    private static final String KEY = "AKIDTANDEMTEST";
    private static final String SECRET = "tandem-secret-key";

    @TempDir
    static Path workDir;

    static TandemFixture tandem;

    @BeforeAll
    static void start() {
        tandem = TandemFixture.start(workDir, c -> c.withAccessKeys(Map.of(KEY, SECRET)));
        tandem.deployAndAwait(
                """
                {"ModelName": "echo", "PrimaryContainer": {"Image": "builtin:identity"}}
                """);
    }

    @AfterAll
    static void stop() {
        tandem.close();
    }

    private static SageMakerClient controlPlane(String key, String secret) {
        return TandemFixture.pointAt(SageMakerClient.builder(), tandem.baseUrl(), key, secret)
                .build();
    }

    private static SageMakerRuntimeClient runtime(String key, String secret) {
        return TandemFixture.pointAt(SageMakerRuntimeClient.builder(), tandem.baseUrl(), key, secret)
                .build();
    }

    @Test
    void requestsSignedWithTheConfiguredKeyAreServed() {
        try (SageMakerClient sm = controlPlane(KEY, SECRET);
                SageMakerRuntimeClient rt = runtime(KEY, SECRET)) {
            assertThat(sm.listEndpoints(r -> {}).endpoints()).isNotEmpty();
            assertThat(rt.invokeEndpoint(r -> r.endpointName("echo")
                                    .contentType("text/plain")
                                    .body(SdkBytes.fromUtf8String("signed")))
                            .body()
                            .asUtf8String())
                    .isEqualTo("signed");
        }
    }

    @Test
    void aLargeSignedBodyIsCheckedAsItCameInPieces() {
        // Megabytes arrive in many reads; the signature covers all of them, hashed piece by piece.
        byte[] body = new byte[3 * 1024 * 1024 + 17];
        new java.util.Random(11).nextBytes(body);
        try (SageMakerRuntimeClient rt = runtime(KEY, SECRET)) {
            assertThat(rt.invokeEndpoint(r -> r.endpointName("echo")
                                    .contentType("application/octet-stream")
                                    .body(SdkBytes.fromByteArray(body)))
                            .body()
                            .asByteArray())
                    .isEqualTo(body);
        }
    }

    @Test
    void aWrongSecretIsRefusedWith403() {
        try (SageMakerClient sm = controlPlane(KEY, "not-the-secret");
                SageMakerRuntimeClient rt = runtime(KEY, "not-the-secret")) {
            assertThatThrownBy(() -> sm.listEndpoints(r -> {})).isInstanceOfSatisfying(SageMakerException.class, e -> {
                assertThat(e.statusCode()).isEqualTo(403);
                assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidSignatureException");
            });
            assertThatThrownBy(
                            () -> rt.invokeEndpoint(r -> r.endpointName("echo").body(SdkBytes.fromUtf8String("x"))))
                    .isInstanceOfSatisfying(SageMakerRuntimeException.class, e -> {
                        assertThat(e.statusCode()).isEqualTo(403);
                        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidSignatureException");
                    });
        }
    }

    @Test
    void anUnknownKeyIsRefused() {
        try (SageMakerClient sm = controlPlane("AKIDSTRANGER", SECRET)) {
            assertThatThrownBy(() -> sm.listModels(r -> {}))
                    .isInstanceOfSatisfying(
                            SageMakerException.class,
                            e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("UnrecognizedClientException"));
        }
    }

    @Test
    void aTamperedBodyIsRefused() throws Exception {
        HttpResponse<String> response = send(sign("original", Clock.systemUTC()), "tampered");

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.headers().firstValue("x-amzn-ErrorType")).contains("InvalidSignatureException");
    }

    @Test
    void theUntamperedSignedRequestIsServed() throws Exception {
        SignedRequest signed = sign("original", Clock.systemUTC());
        HttpResponse<String> response = send(signed, "original");

        assertThat(response.statusCode())
                .as("%s %s", signed.request().headers(), response.body())
                .isEqualTo(200);
        assertThat(response.body()).isEqualTo("original");
    }

    @Test
    void anExpiredDateIsRefused() throws Exception {
        Clock anHourAgo = Clock.offset(Clock.systemUTC(), Duration.ofHours(-1));

        HttpResponse<String> response = send(sign("late", anHourAgo), "late");

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.body()).contains("Signature expired");
    }

    @Test
    void anUnsignedRequestIsRefused() {
        HttpResponse<String> response = tandem.invoke("echo", "x");

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.headers().firstValue("x-amzn-ErrorType")).contains("MissingAuthenticationTokenException");
    }

    @Test
    void everyRouteButPingFollowsTheSameRuleUnsignedRequestsAreRefused() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        for (String path : List.of(
                "/metrics",
                "/endpoints/echo/logs",
                "/endpoints/echo/async-invocations/some-id",
                "/endpoints/echo/overview",
                "/transform-jobs/some-job/progress")) {
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(tandem.baseUrl().resolve(path)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(path).isEqualTo(403);
            assertThat(response.headers().firstValue("x-amzn-ErrorType"))
                    .as(path)
                    .contains("MissingAuthenticationTokenException");
        }
        HttpResponse<String> streamed = http.send(
                HttpRequest.newBuilder(tandem.baseUrl().resolve("/endpoints/echo/invocations-response-stream"))
                        .POST(HttpRequest.BodyPublishers.ofString("x"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(streamed.statusCode()).isEqualTo(403);
        assertThat(streamed.headers().firstValue("x-amzn-ErrorType")).contains("MissingAuthenticationTokenException");
        // The console's own files hold no data: open, as /ping is.
        HttpResponse<String> console = http.send(
                HttpRequest.newBuilder(tandem.baseUrl().resolve("/console/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(console.statusCode()).isEqualTo(200);
        assertThat(console.body()).contains("<title>Tandem console</title>");

        HttpResponse<String> control = http.send(
                HttpRequest.newBuilder(tandem.baseUrl().resolve("/"))
                        .header("X-Amz-Target", "SageMaker.ListEndpoints")
                        .header("Content-Type", "application/x-amz-json-1.1")
                        .POST(HttpRequest.BodyPublishers.ofString("{}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(control.statusCode()).isEqualTo(403);
        assertThat(control.body()).contains("\"__type\":\"MissingAuthenticationTokenException\"");

        HttpResponse<String> ping = http.send(
                HttpRequest.newBuilder(tandem.baseUrl().resolve("/ping")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(ping.statusCode()).as("health checks carry no signature").isEqualTo(200);
    }

    @Test
    void aStreamedInvocationIsSignedAsAnyOtherAndAWrongSecretRefused() throws Exception {
        for (String secret : List.of(SECRET, "wrong")) {
            try (SageMakerRuntimeAsyncClient client = TandemFixture.asyncClient(tandem.baseUrl(), KEY, secret)) {
                StringBuilder parts = new StringBuilder();
                CompletableFuture<Void> done = client.invokeEndpointWithResponseStream(
                        r -> r.endpointName("echo").contentType("text/plain").body(SdkBytes.fromUtf8String("hi")),
                        InvokeEndpointWithResponseStreamResponseHandler.builder()
                                .subscriber(InvokeEndpointWithResponseStreamResponseHandler.Visitor.builder()
                                        .onPayloadPart(part ->
                                                parts.append(part.bytes().asUtf8String()))
                                        .build())
                                .build());
                if (secret.equals(SECRET)) {
                    done.get(30, TimeUnit.SECONDS);
                    assertThat(parts.toString()).startsWith("hi");
                } else {
                    assertThatThrownBy(() -> done.get(30, TimeUnit.SECONDS))
                            .hasRootCauseInstanceOf(SageMakerRuntimeException.class)
                            .rootCause()
                            .hasMessageContaining("signature");
                    assertThat(parts).isEmpty();
                }
            }
        }
    }

    @Test
    void metricsAreOpenOnlyWhenTheOperatorSaysSo(@TempDir Path otherDir) throws Exception {
        try (TandemFixture open = TandemFixture.start(
                otherDir, c -> c.withAccessKeys(Map.of(KEY, SECRET)).withOpenMetrics(true))) {
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> metrics = http.send(
                    HttpRequest.newBuilder(open.baseUrl().resolve("/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("tandem_data_capture_written_total");
            assertThat(open.invoke("anything", "x").statusCode())
                    .as("everything else still needs a signature")
                    .isEqualTo(403);
        }
    }

    /** An InvokeEndpoint request signed by the SDK's own SigV4 signer. */
    private static SignedRequest sign(String body, Clock clock) {
        SdkHttpRequest request = SdkHttpRequest.builder()
                .method(SdkHttpMethod.POST)
                .uri(tandem.baseUrl().resolve("/endpoints/echo/invocations"))
                .putHeader("Content-Type", "text/plain")
                .build();
        return AwsV4HttpSigner.create().sign(r -> r.identity(AwsBasicCredentials.create(KEY, SECRET))
                .request(request)
                .payload(ContentStreamProvider.fromUtf8String(body))
                .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "sagemaker")
                .putProperty(AwsV4HttpSigner.REGION_NAME, "us-east-1")
                .putProperty(HttpSigner.SIGNING_CLOCK, clock));
    }

    private static HttpResponse<String> send(SignedRequest signed, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(
                        URI.create(signed.request().getUri().toString()))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        signed.request().forEachHeader((name, values) -> {
            if (!name.equalsIgnoreCase("host") && !name.equalsIgnoreCase("content-length")) {
                values.forEach(value -> request.header(name, value));
            }
        });
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
