package dev.tandem.kubernetes.resources;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What an endpoint runs: the configuration it was created or last updated with, and the
 * deployment made of it — each production variant's model (copied, since a model or configuration
 * may be deleted while the endpoint uses it), instance count and weight.
 *
 * @param createdAt ISO-8601
 */
public record EndpointSpec(String name, String arn, String configName, JsonNode deployment, String createdAt) {}
