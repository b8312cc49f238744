package dev.tandem.server.store;

import java.time.Instant;

/** A model as CreateModel defined it: its request body, kept as JSON. */
public record StoredModel(String name, String arn, String definition, Instant createdAt) {}
