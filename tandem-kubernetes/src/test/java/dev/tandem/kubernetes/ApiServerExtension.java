package dev.tandem.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real API server ({@link KubeApiServer}) for the tests of one class: started before the first,
 * stopped after the last, with a client for them. Register it as a static field with {@code
 * @RegisterExtension}.
 */
public final class ApiServerExtension implements BeforeAllCallback, AfterAllCallback {
    private @Nullable KubeApiServer server;
    private @Nullable KubernetesClient client;

    @Override
    public void beforeAll(ExtensionContext context) {
        server = KubeApiServer.start();
        client = server.client();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /** Another client of the server, as a second process would have; the caller closes it. */
    public KubernetesClient newClient() {
        return Objects.requireNonNull(server, "the API server starts before the tests")
                .client();
    }

    /** The client of the tests, the server's administrator. */
    public KubernetesClient client() {
        return Objects.requireNonNull(client, "the API server starts before the tests");
    }
}
