package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.core.runtime.RunningContainer;
import dev.tandem.it.support.TandemFixture;
import dev.tandem.server.endpoint.Endpoint;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.sagemakerruntime.model.InvokeEndpointRequest;
import software.amazon.awssdk.services.sagemakerruntime.model.ModelErrorException;
import software.amazon.awssdk.services.sagemakerruntime.model.ModelNotReadyException;

/** Containers that hang, crash, never become healthy, and the server stopping them all. */
class ContainerLifecycleIT {
    @TempDir
    Path workDir;

    @Test
    void containerThatDoesNotAnswerInTimeIsAModelError() {
        try (TandemFixture tandem = TandemFixture.start(
                workDir, c -> c.withRuntime(c.runtime().withInvocationTimeout(Duration.ofSeconds(1))))) {
            tandem.deployAndAwait(
                    """
          {"ModelName": "stuck", "Containers": [
            {"ContainerHostname": "fine", "Image": "exec:test-container"},
            {"ContainerHostname": "sleepy", "Image": "exec:test-container", "Environment": {"BEHAVIOUR": "hang"}}
          ]}
          """);

            long start = System.nanoTime();
            assertThatThrownBy(() -> invoke(tandem, "stuck"))
                    .isInstanceOfSatisfying(ModelErrorException.class, e -> assertThat(
                                    e.awsErrorDetails().errorMessage())
                            .startsWith(
                                    "Your invocation timed out while waiting for a response from container sleepy"));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
        }
    }

    @Test
    void crashedContainerIsRestartedAndTheEndpointIsUnavailableUntilItIsHealthy() {
        // A one-second backoff leaves a window in which the endpoint must refuse at once.
        try (TandemFixture tandem = TandemFixture.start(
                workDir,
                c -> c.withRuntime(c.runtime().withRestartBackoff(Duration.ofSeconds(1), Duration.ofSeconds(1))))) {
            Endpoint endpoint = tandem.deployAndAwait(
                    """
              {"ModelName": "fragile", "PrimaryContainer": {"Image": "exec:test-container",
                "Environment": {"BEHAVIOUR": "crash-once", "CRASH_MARKER": "%s", "TAG": "fragile"}}}
              """
                            .formatted(workDir.resolve("crashed-once")));

            assertThatThrownBy(() -> invoke(tandem, "fragile")).isInstanceOf(ModelErrorException.class);

            Set<Integer> statuses = new HashSet<>();
            HttpResponse<String> response;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            do {
                response = tandem.invoke("fragile", "again");
                statuses.add(response.statusCode());
                if (response.statusCode() == 503) {
                    assertThat(response.headers().firstValue("x-amzn-ErrorType"))
                            .contains("ServiceUnavailable");
                    assertThat(response.body()).contains("container primary");
                }
                TandemFixture.sleep(Duration.ofMillis(20));
            } while (response.statusCode() != 200 && System.nanoTime() < deadline);

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("again>fragile(ct=null,accept=null,ca=null)");
            assertThat(statuses).contains(503).isSubsetOf(200, 503);
            RunningContainer container =
                    endpoint.variants().get(0).instances().get(0).containers().get(0);
            assertThat(container.status().restarts()).isEqualTo(1);
            assertThat(container.recentLogs()).anyMatch(line -> line.contains("exited with code 3"));
            // Every line also goes to the container's log file under the data dir.
            Path logFile = workDir.resolve("data/logs/fragile")
                    .resolve(endpoint.variants().get(0).instances().get(0).id())
                    .resolve("primary.log");
            assertThat(logFile)
                    .content()
                    .contains("stderr: crashing on purpose")
                    .contains("exited with code 3");
        }
    }

    @Test
    void endpointWhoseContainersAreNotHealthyYetAnswersModelNotReadyAtOnce() {
        try (TandemFixture tandem = TandemFixture.start(workDir)) {
            tandem.deploy(
                    """
          {"ModelName": "warming", "PrimaryContainer": {"Image": "exec:test-container",
            "Environment": {"BEHAVIOUR": "never-healthy"}}}
          """);

            long start = System.nanoTime();
            assertThatThrownBy(() -> invoke(tandem, "warming"))
                    .isInstanceOfSatisfying(ModelNotReadyException.class, e -> {
                        assertThat(e.statusCode()).isEqualTo(429);
                        assertThat(e.awsErrorDetails().errorMessage()).contains("Endpoint warming is starting");
                    });
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void closingTheServerStopsEveryContainerProcess() {
        List<ProcessHandle> children;
        try (TandemFixture tandem = TandemFixture.start(workDir)) {
            tandem.deployAndAwait(
                    """
          {"ModelName": "three", "Containers": [
            {"Image": "exec:test-container"}, {"Image": "exec:test-container"}, {"Image": "exec:test-container"}
          ]}
          """);
            children = ProcessHandle.current()
                    .children()
                    .filter(p -> p.info().commandLine().orElse("").contains("TestContainer"))
                    .toList();
            assertThat(children).hasSize(3);
        }
        assertThat(children).noneMatch(ProcessHandle::isAlive);
    }

    private static void invoke(TandemFixture tandem, String endpoint) {
        tandem.sdk()
                .invokeEndpoint(InvokeEndpointRequest.builder()
                        .endpointName(endpoint)
                        .body(SdkBytes.fromUtf8String("x"))
                        .build());
    }
}
