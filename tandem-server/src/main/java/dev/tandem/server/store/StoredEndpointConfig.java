package dev.tandem.server.store;

import java.time.Instant;

/** An endpoint configuration as CreateEndpointConfig defined it: its request body, as JSON. */
public record StoredEndpointConfig(String name, String arn, String definition, Instant createdAt) {}
