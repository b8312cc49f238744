package dev.tandem.server.store;

import java.time.Instant;

/** A feature group as the state store keeps it: its whole definition and state, as JSON. */
public record StoredFeatureGroup(String name, String arn, String definition, Instant createdAt) {}
