package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.core.runtime.RunningContainer;
import dev.tandem.it.support.TandemFixture;
import dev.tandem.server.endpoint.Endpoint;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
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
            Endpoint endpoint = deployCrashingOnce(tandem, "fragile");

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
                    // Names the restarting container, unless it came back while the answer was written.
                    assertThat(response.body()).containsAnyOf("container primary", "became healthy just now");
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
    void restartedContainerMovesOffAPortAnotherProgramTookWhileItWasDown() throws Exception {
        // Three seconds between the crash and the restart: time for another program to take the port.
        try (TandemFixture tandem = TandemFixture.start(
                workDir,
                c -> c.withRuntime(c.runtime().withRestartBackoff(Duration.ofSeconds(3), Duration.ofSeconds(3))))) {
            Endpoint endpoint = deployCrashingOnce(tandem, "moving");
            RunningContainer container =
                    endpoint.variants().get(0).instances().get(0).containers().get(0);
            int port = container.contractUrl().orElseThrow().getPort();

            assertThatThrownBy(() -> invoke(tandem, "moving")).isInstanceOf(ModelErrorException.class);
            try (PortSquatter squatter = PortSquatter.takeOnceFree(port, Duration.ofSeconds(2))) {
                HttpResponse<String> response;
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                do {
                    response = tandem.invoke("moving", "again");
                    TandemFixture.sleep(Duration.ofMillis(20));
                } while (response.statusCode() != 200 && System.nanoTime() < deadline);

                assertThat(response.body()).isEqualTo("again>moving(ct=null,accept=null,ca=null)");
                assertThat(container.contractUrl().orElseThrow().getPort()).isNotEqualTo(port);
                assertThat(container.recentLogs())
                        .anyMatch(
                                line -> line.contains("another program listens on port " + port + "; moving to port "));
                // Neither a health check nor an invocation went to the program on the old port.
                assertThat(squatter.connections()).isZero();
            }
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

    /** An endpoint of one container, tagged with its name, that exits at its first invocation. */
    private Endpoint deployCrashingOnce(TandemFixture tandem, String name) {
        return tandem.deployAndAwait(
                """
          {"ModelName": "%s", "PrimaryContainer": {"Image": "exec:test-container",
            "Environment": {"BEHAVIOUR": "crash-once", "CRASH_MARKER": "%s", "TAG": "%s"}}}
          """
                        .formatted(name, workDir.resolve("crashed-once-" + name), name));
    }

    /**
     * Another program on a container's port: a listener that answers any request 200 and counts
     * the connections it was given.
     */
    private static final class PortSquatter implements AutoCloseable {
        private final ServerSocket socket;
        private final AtomicInteger connections = new AtomicInteger();

        private PortSquatter(ServerSocket socket) {
            this.socket = socket;
            Thread.ofVirtual().start(this::answer);
        }

        /** Takes {@code port} as soon as the process that listened there is gone. */
        static PortSquatter takeOnceFree(int port, Duration within) throws IOException {
            long deadline = System.nanoTime() + within.toNanos();
            while (true) {
                ServerSocket socket = new ServerSocket();
                socket.setReuseAddress(true);
                try {
                    socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                    return new PortSquatter(socket);
                } catch (IOException stillTaken) {
                    socket.close();
                    if (System.nanoTime() > deadline) {
                        throw stillTaken;
                    }
                    TandemFixture.sleep(Duration.ofMillis(10));
                }
            }
        }

        int connections() {
            return connections.get();
        }

        private void answer() {
            while (!socket.isClosed()) {
                try (Socket client = socket.accept()) {
                    connections.incrementAndGet();
                    client.getOutputStream()
                            .write("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nsquatter"
                                    .getBytes(StandardCharsets.US_ASCII));
                } catch (IOException closed) {
                    // Closed by the test, or a client that went away.
                }
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private static void invoke(TandemFixture tandem, String endpoint) {
        tandem.sdk()
                .invokeEndpoint(InvokeEndpointRequest.builder()
                        .endpointName(endpoint)
                        .body(SdkBytes.fromUtf8String("x"))
                        .build());
    }
}
