package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.it.support.TandemFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkServiceException;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.services.sagemaker.model.SageMakerException;
import software.amazon.awssdk.services.sagemakerruntime.SageMakerRuntimeClient;
import software.amazon.awssdk.services.sagemakerruntime.model.InvokeEndpointResponse;

/**
 * An endpoint past its bound of requests in flight refuses the excess at once with
 * ThrottlingException (HTTP 429), which the AWS SDKs retry with backoff; it counts them, and
 * serves normally as soon as the load drops.
 */
class OverloadIT {
    private static final String SLOW_PAIR =
            """
            {"ModelName": "slow", "PrimaryContainer": {"Image": "exec:test-container",
              "Environment": {"SLEEP_MS": "1500", "TANDEM_MAX_IN_FLIGHT": "2"}}}
            """;

    @TempDir
    Path workDir;

    @Test
    void theExcessIsRefusedAtOnceWithThrottlingAndTheRestServed() throws Exception {
        try (TandemFixture tandem = TandemFixture.start(workDir);
                ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            tandem.deployAndAwait(SLOW_PAIR);
            List<Future<Outcome>> calls = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                calls.add(clients.submit(() -> call(tandem.sdk())));
            }
            List<Outcome> outcomes = new ArrayList<>();
            for (Future<Outcome> call : calls) {
                outcomes.add(call.get());
            }

            List<Outcome> served =
                    outcomes.stream().filter(o -> o.status() == 200).toList();
            List<Outcome> refused =
                    outcomes.stream().filter(o -> o.status() == 429).toList();
            assertThat(served).hasSize(2);
            assertThat(refused).hasSize(4);
            // Refused in milliseconds, not after the 1.5 s the container takes.
            assertThat(refused).allSatisfy(o -> {
                assertThat(o.code()).isEqualTo("ThrottlingException");
                assertThat(o.millis()).isLessThan(1_000);
                assertThat(o.message()).contains("Endpoint slow is at capacity").contains("TANDEM_MAX_IN_FLIGHT");
            });
            assertThat(served).allSatisfy(o -> assertThat(o.millis()).isGreaterThanOrEqualTo(1_500));
            assertThat(refused).allSatisfy(o -> assertThat(o.retryAfter()).isEqualTo("1"));

            String metrics = scrape(tandem);
            assertThat(metrics)
                    .contains("tandem_invocations_throttled_total{endpoint=\"slow\"} 4.0")
                    .contains(
                            "tandem_instance_max_in_flight{endpoint=\"slow\",instance=\"i-1\",variant=\"AllTraffic\"} 2.0")
                    .contains(
                            "tandem_instance_in_flight{endpoint=\"slow\",instance=\"i-1\",variant=\"AllTraffic\"} 0.0");

            // The load is gone: served at once.
            assertThat(call(tandem.sdk()).status()).isEqualTo(200);
        }
    }

    @Test
    void theSdksOwnRetriesCarryRefusedRequestsThrough() throws Exception {
        try (TandemFixture tandem = TandemFixture.start(workDir);
                ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
                SageMakerRuntimeClient retrying = TandemFixture.pointAt(
                                SageMakerRuntimeClient.builder(), tandem.baseUrl(), "test", "test")
                        .overrideConfiguration(c -> c.retryStrategy(RetryMode.STANDARD))
                        .build()) {
            tandem.deployAndAwait(SLOW_PAIR.replace("\"1500\"", "\"300\""));
            List<Future<Outcome>> calls = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                calls.add(clients.submit(() -> call(retrying)));
            }
            for (Future<Outcome> call : calls) {
                assertThat(call.get().status()).isEqualTo(200);
            }
            assertThat(scrape(tandem)).containsPattern("tandem_invocations_throttled_total\\{endpoint=\"slow\"} [1-9]");
        }
    }

    @Test
    void aBoundThatIsNotAPositiveNumberIsRefusedWhenTheModelIsCreated() {
        try (TandemFixture tandem = TandemFixture.start(workDir)) {
            assertThatThrownBy(() -> tandem.sageMaker().createModel(b -> b.modelName("bad")
                            .executionRoleArn("arn:aws:iam::000000000000:role/x")
                            .primaryContainer(c -> c.image("exec:test-container")
                                    .environment(java.util.Map.of("TANDEM_MAX_IN_FLIGHT", "0")))))
                    .isInstanceOf(SageMakerException.class)
                    .hasMessageContaining("TANDEM_MAX_IN_FLIGHT must be a whole number of at least 1, got '0'");
        }
    }

    private record Outcome(int status, String code, String message, long millis, String retryAfter) {}

    private static Outcome call(SageMakerRuntimeClient sdk) {
        long start = System.nanoTime();
        try {
            InvokeEndpointResponse response = sdk.invokeEndpoint(
                    b -> b.endpointName("slow").contentType("text/plain").body(SdkBytes.fromUtf8String("x")));
            return new Outcome(200, "", response.body().asUtf8String(), elapsed(start), "");
        } catch (SdkServiceException e) {
            String code = e instanceof software.amazon.awssdk.awscore.exception.AwsServiceException aws
                    ? aws.awsErrorDetails().errorCode()
                    : "";
            String retryAfter = e instanceof software.amazon.awssdk.awscore.exception.AwsServiceException aws
                    ? aws.awsErrorDetails()
                            .sdkHttpResponse()
                            .firstMatchingHeader("Retry-After")
                            .orElse("")
                    : "";
            return new Outcome(e.statusCode(), code, String.valueOf(e.getMessage()), elapsed(start), retryAfter);
        }
    }

    private static long elapsed(long start) {
        return Duration.ofNanos(System.nanoTime() - start).toMillis();
    }

    private static String scrape(TandemFixture tandem) throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(tandem.baseUrl() + "/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }
}
