package dev.tandem.it.support;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import software.amazon.awssdk.services.sagemaker.SageMakerClient;
import software.amazon.awssdk.services.sagemakerruntime.SageMakerRuntimeClient;

/**
 * {@code tandem serve --kubernetes}: a gateway of the cluster its {@code KUBECONFIG} names, in a
 * process of its own, as a Deployment's pod runs it.
 *
 * @param url where it listens, on loopback
 */
public record Gateway(CliProcess process, URI url) implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("Tandem listening on http://127.0.0.1:(\\d+)");

    /**
     * Starts a gateway of {@code namespace}, keeping its own files in {@code dataDir}, with {@code
     * environment} added; returns once it listens.
     */
    public static Gateway start(Path kubeconfig, String namespace, Path dataDir, Map<String, String> environment) {
        Map<String, String> env = new HashMap<>(environment);
        env.put("KUBECONFIG", kubeconfig.toString());
        CliProcess process = CliProcess.start(
                List.of(
                        "serve",
                        "--kubernetes",
                        "--namespace",
                        namespace,
                        "--port",
                        "0",
                        "--data-dir",
                        dataDir.toString()),
                env);
        try {
            String port = process.awaitStderr(LISTENING, Duration.ofSeconds(60)).group(1);
            return new Gateway(process, URI.create("http://127.0.0.1:" + port));
        } catch (RuntimeException | AssertionError e) {
            process.close();
            throw e;
        }
    }

    /** The AWS SDK's SageMaker client, pointed at this gateway (retries off). */
    public SageMakerClient sageMaker() {
        return TandemFixture.pointAt(SageMakerClient.builder(), url, "test", "test")
                .build();
    }

    /** The AWS SDK's SageMaker runtime client, pointed at this gateway (retries off). */
    public SageMakerRuntimeClient runtime() {
        return TandemFixture.pointAt(SageMakerRuntimeClient.builder(), url, "test", "test")
                .build();
    }

    @Override
    public void close() {
        process.close();
    }
}
