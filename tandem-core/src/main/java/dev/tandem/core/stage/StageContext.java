package dev.tandem.core.stage;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * What a {@link StageProvider} gets to build a stage for one instance.
 *
 * @param hostname the container's {@code ContainerHostname} in the pipeline
 * @param modelDir the folder holding the container's model data ({@code ModelDataUrl},
 *     extracted); an empty folder when the container has none
 * @param environment the container's {@code Environment}
 * @param features the server's feature store, for stages that read records in process
 */
public record StageContext(String hostname, Path modelDir, Map<String, String> environment, FeatureSource features) {

    public StageContext {
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(modelDir, "modelDir");
        Objects.requireNonNull(features, "features");
        environment = Map.copyOf(environment);
    }

    /** A context without a feature store. */
    public StageContext(String hostname, Path modelDir, Map<String, String> environment) {
        this(hostname, modelDir, environment, FeatureSource.NONE);
    }
}
