package dev.tandem.kubernetes;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real kube-apiserver with etcd, started for the tests from the binaries {@code .ci/kube-apiserver}
 * builds (never downloaded), with Tandem's custom resource definitions installed. Without those
 * binaries the tests that need it are skipped — unless {@code TANDEM_REQUIRE_KUBERNETES=1}, as
 * {@code .ci/run} sets, when they fail saying how to build them.
 */
public final class KubeApiServer implements AutoCloseable {
    static final String VERSION = "1.20.2";

    private final KubeAPIServer server;
    private final String kubeConfig;

    private KubeApiServer(KubeAPIServer server) {
        this.server = server;
        this.kubeConfig = server.getKubeConfigYaml();
    }

    public static KubeApiServer start() {
        Path dir = Path.of(System.getenv()
                .getOrDefault("TANDEM_KUBE_DIR", System.getProperty("user.home") + "/.cache/tandem/kubeapitest"));
        Path binary = dir.resolve("k8s").resolve(VERSION + "-linux-amd64").resolve("kube-apiserver");
        if (!Files.isExecutable(binary)) {
            String missing = binary + " is missing: run .ci/kube-apiserver to build it (once per machine)";
            if ("1".equals(System.getenv("TANDEM_REQUIRE_KUBERNETES"))) {
                throw new IllegalStateException(missing);
            }
            Assumptions.abort(missing);
        }
        KubeAPIServer server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
                .withTestDir(dir.toString())
                .withApiServerVersion(VERSION)
                .withOfflineMode(true)
                .withUpdateKubeConfig(false)
                .build());
        server.start();
        KubeApiServer started = new KubeApiServer(server);
        try (KubernetesClient client = started.client()) {
            List<HasMetadata> definitions = client.load(new ByteArrayInputStream(
                            Manifests.customResourceDefinitions().getBytes(StandardCharsets.UTF_8)))
                    .items();
            for (HasMetadata definition : definitions) {
                client.resource(definition).create();
                client.resources(CustomResourceDefinition.class)
                        .withName(definition.getMetadata().getName())
                        .waitUntilCondition(
                                crd -> crd != null
                                        && crd.getStatus() != null
                                        && crd.getStatus().getConditions() != null
                                        && crd.getStatus().getConditions().stream()
                                                .anyMatch(c -> c.getType().equals("Established")
                                                        && c.getStatus().equals("True")),
                                30,
                                TimeUnit.SECONDS);
            }
        } catch (RuntimeException e) {
            server.stop();
            throw e;
        }
        return started;
    }

    /** A kubeconfig that reaches this server, as a client outside the test would read it. */
    public String kubeConfigYaml() {
        return kubeConfig;
    }

    /** A new client of this server; the caller closes it. */
    public KubernetesClient client() {
        return new KubernetesClientBuilder()
                .withConfig(Config.fromKubeconfig(kubeConfig))
                .build();
    }

    @Override
    public void close() {
        server.stop();
    }
}
