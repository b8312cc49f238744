package dev.tandem.kubernetes;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The Kubernetes manifests that install Tandem in a cluster, as YAML. */
public final class Manifests {
    private Manifests() {}

    /** The definitions of Tandem's custom resources: SageMaker's models, endpoints and the rest. */
    public static String customResourceDefinitions() {
        return resource("crds.yaml");
    }

    private static String resource(String name) {
        try (InputStream in = Manifests.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is missing from Tandem's jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
