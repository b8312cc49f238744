package dev.tandem.it.support;

import dev.tandem.server.endpoint.InstanceAddress;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A pod of an endpoint's Deployment as the tests play it, with no kubelet here: a real {@code tandem
 * instance} process on loopback, running the pipeline the operator put in the Deployment's
 * ConfigMap — what the pod's container would run.
 *
 * @param address where it listens, named as its pod would be
 */
public record InstancePod(CliProcess process, InstanceAddress address) implements AutoCloseable {
    private static final Pattern LISTENING =
            Pattern.compile("Instance of \\S+: POST http://127.0.0.1:(\\d+)/invocations");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /**
     * Starts a pod of {@code deployment}, named {@code name}; returns once it answers {@code /ping}
     * with 200, as its readiness probe would see it.
     */
    public static InstancePod start(KubernetesClient client, Deployment deployment, String name, Path workDir) {
        String namespace = deployment.getMetadata().getNamespace();
        String pipeline = client.configMaps()
                .inNamespace(namespace)
                .withName(deployment.getMetadata().getName())
                .get()
                .getData()
                .get("pipeline.json");
        try {
            Path file = workDir.resolve(name + ".json");
            Files.writeString(file, pipeline);
            CliProcess process = CliProcess.start(List.of(
                    "instance",
                    file.toString(),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--data-dir",
                    workDir.resolve(name).toString()));
            int port = Integer.parseInt(
                    process.awaitStderr(LISTENING, Duration.ofSeconds(60)).group(1));
            InstancePod pod = new InstancePod(process, new InstanceAddress(name, "127.0.0.1", port));
            pod.awaitReady();
            return pod;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitReady() {
        URI ping = URI.create("http://127.0.0.1:" + address.port() + "/ping");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (HTTP.send(HttpRequest.newBuilder(ping).build(), HttpResponse.BodyHandlers.discarding())
                                .statusCode()
                        == 200) {
                    return;
                }
            } catch (IOException e) {
                // Not listening yet.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            TandemFixture.sleep(Duration.ofMillis(50));
        }
        throw new AssertionError(address.id() + " not ready within 60 s:\n" + process.stderr());
    }

    /** How many invocations it has served, from its own metrics. */
    public long invocationsServed() {
        try {
            String metrics = HTTP.send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + address.port() + "/metrics"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
            return metrics.lines()
                    .filter(line -> line.startsWith("sagemaker_invocations_total{"))
                    .mapToLong(line -> (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                    .sum();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Stops it, as Kubernetes stops a pod: SIGTERM. */
    public void stop() {
        process.process().destroy();
    }

    /**
     * Kills it at once, as a crashing machine would: the instance's process first, then the
     * containers it ran, as the pod's end takes its containers with it. (Left alive, they outlived
     * the test as orphans, and the next run of it on the same machine failed.)
     */
    public void kill() {
        List<ProcessHandle> containers = process.process().descendants().toList();
        process.process().destroyForcibly();
        containers.forEach(ProcessHandle::destroyForcibly);
    }

    @Override
    public void close() {
        process.close();
    }
}
