package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.it.support.TandemFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A known mix of good and failing requests, then the counters at GET /metrics. */
class MetricsIT {
    @TempDir
    Path workDir;

    @Test
    void countsSageMakersEndpointMetricsAndPerContainerOnes() throws Exception {
        try (TandemFixture tandem = TandemFixture.start(workDir)) {
            tandem.deployAndAwait(
                    """
                    {"ModelName": "good", "Containers": [
                      {"ContainerHostname": "pre", "Image": "exec:test-container"},
                      {"ContainerHostname": "post", "Image": "builtin:identity"}]}
                    """);
            tandem.deployAndAwait(
                    """
                    {"ModelName": "bad", "Containers": [
                      {"ContainerHostname": "pre", "Image": "builtin:identity"},
                      {"ContainerHostname": "post", "Image": "exec:test-container",
                       "Environment": {"BEHAVIOUR": "fail", "FAIL_STATUS": "500"}},
                      {"ContainerHostname": "never", "Image": "builtin:identity"}]}
                    """);
            tandem.deployAndAwait(
                    """
                    {"ModelName": "picky", "PrimaryContainer": {"Image": "exec:test-container",
                      "Environment": {"BEHAVIOUR": "fail", "FAIL_STATUS": "415"}}}
                    """);
            for (int i = 0; i < 5; i++) {
                assertThat(tandem.invoke("good", "x").statusCode()).isEqualTo(200);
            }
            for (int i = 0; i < 3; i++) {
                assertThat(tandem.invoke("bad", "x").statusCode()).isEqualTo(424);
            }
            for (int i = 0; i < 2; i++) {
                assertThat(tandem.invoke("picky", "x").statusCode()).isEqualTo(424);
            }
            assertThat(tandem.invoke("good", "x", "X-Amzn-SageMaker-Target-Variant", "Nope")
                            .statusCode())
                    .isEqualTo(400);

            HttpResponse<String> scrape = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create(tandem.baseUrl() + "/metrics"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());

            assertThat(scrape.statusCode()).isEqualTo(200);
            assertThat(scrape.headers().firstValue("Content-Type"))
                    .hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
            String metrics = scrape.body();
            assertThat(metrics)
                    .contains("sagemaker_invocations_total{endpoint=\"good\",variant=\"AllTraffic\"} 5.0")
                    .contains("sagemaker_invocations_total{endpoint=\"bad\",variant=\"AllTraffic\"} 3.0")
                    .contains("sagemaker_invocation_5xx_errors_total{endpoint=\"bad\",variant=\"AllTraffic\"} 3.0")
                    .contains("sagemaker_invocation_4xx_errors_total{endpoint=\"picky\",variant=\"AllTraffic\"} 2.0")
                    .contains("sagemaker_invocation_4xx_errors_total{endpoint=\"good\",variant=\"AllTraffic\"} 0.0")
                    .contains("sagemaker_model_latency_seconds_count{endpoint=\"good\",variant=\"AllTraffic\"} 5")
                    .contains("sagemaker_overhead_latency_seconds_count{endpoint=\"good\",variant=\"AllTraffic\"} 5")
                    .contains(
                            "tandem_container_invocations_total{container=\"pre\",endpoint=\"bad\",variant=\"AllTraffic\"} 3.0")
                    .contains(
                            "tandem_container_invocations_total{container=\"post\",endpoint=\"bad\",variant=\"AllTraffic\"} 3.0")
                    .doesNotContain("tandem_container_invocations_total{container=\"never\"")
                    .contains(
                            "tandem_container_errors_total{container=\"post\",endpoint=\"bad\",status=\"500\",variant=\"AllTraffic\"} 3.0")
                    .contains(
                            "tandem_container_latency_seconds_count{container=\"pre\",endpoint=\"good\",variant=\"AllTraffic\"} 5")
                    .contains("tandem_variant_instances{endpoint=\"good\",variant=\"AllTraffic\"} 1.0")
                    .contains("tandem_variant_healthy_instances{endpoint=\"picky\",variant=\"AllTraffic\"} 1.0")
                    .contains("tandem_endpoint_status{endpoint=\"good\",status=\"InService\"} 1.0")
                    .containsPattern(
                            "tandem_container_healthy\\{container=\"pre\",endpoint=\"good\",instance=\"i-\\d+\",variant=\"AllTraffic\"} 1.0")
                    .containsPattern(
                            "tandem_container_restarts\\{container=\"post\",endpoint=\"bad\",instance=\"i-\\d+\",variant=\"AllTraffic\"} 0.0");
        }
    }
}
