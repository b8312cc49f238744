package dev.tandem.core.model;

import java.net.URI;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One container of a model, validated.
 *
 * @param hostname its {@code ContainerHostname}, given or defaulted, unique within the model
 * @param image what runs it
 * @param environment its {@code Environment}, in the order written
 * @param modelData its {@code ModelDataUrl}; a {@code file:} URL is absolute here
 */
public record ContainerDefinition(
        String hostname, ImageRef image, Map<String, String> environment, @Nullable URI modelData) {

    public ContainerDefinition {
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(image, "image");
        environment = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(environment));
    }
}
