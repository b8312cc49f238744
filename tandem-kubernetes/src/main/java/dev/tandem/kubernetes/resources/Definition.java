package dev.tandem.kubernetes.resources;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The spec of a resource SageMaker keeps as it was created — a model, an endpoint configuration,
 * a feature group, a transform job: its name and ARN and the create request itself, as JSON (kept
 * as an object, not a string, so that {@code kubectl get -o yaml} shows it).
 *
 * @param createdAt ISO-8601
 */
public record Definition(String name, String arn, JsonNode definition, String createdAt) {}
