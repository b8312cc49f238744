package dev.tandem.core.model;

import java.net.URI;
import java.nio.file.Path;

/** A container's {@code Image}, read as the runtime that will run it. */
public sealed interface ImageRef {

    /** The {@code Image} string as the user wrote it. */
    String spec();

    /** {@code exec:PATH}: a local program, or a folder holding an executable {@code serve}. */
    record Exec(String spec, Path path) implements ImageRef {}

    /** {@code http://…} or {@code https://…}: a running server that implements the contract. */
    record Http(String spec, URI baseUrl) implements ImageRef {}

    /** {@code builtin:NAME}: an in-process stage found by name. */
    record Builtin(String spec, String name) implements ImageRef {}

    /** Anything else: an OCI image reference for Docker or Podman. */
    record Oci(String spec) implements ImageRef {}
}
