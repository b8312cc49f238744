package dev.tandem.runtime.contract;

import java.net.URI;
import java.util.Objects;

/**
 * Where a container's contract endpoints live: {@code /ping} and {@code /invocations} under a base
 * path on a host and port.
 */
public record ContractTarget(String host, int port, boolean tls, String basePath) {

    public ContractTarget {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(basePath, "basePath");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1 to 65535, was " + port);
        }
        if (basePath.endsWith("/")) {
            basePath = basePath.substring(0, basePath.length() - 1);
        }
    }

    /** A container listening on the loopback interface, as exec and oci containers do. */
    public static ContractTarget loopback(int port) {
        return new ContractTarget("127.0.0.1", port, false, "");
    }

    /** A running server named by an {@code http://} or {@code https://} image. */
    public static ContractTarget of(URI baseUrl) {
        boolean tls = "https".equalsIgnoreCase(baseUrl.getScheme());
        int port = baseUrl.getPort() != -1 ? baseUrl.getPort() : tls ? 443 : 80;
        String path = baseUrl.getRawPath() == null ? "" : baseUrl.getRawPath();
        return new ContractTarget(baseUrl.getHost(), port, tls, path);
    }

    public String pingPath() {
        return basePath + "/ping";
    }

    public String invocationsPath() {
        // Asked on every request: a container on its own port (every exec and oci one) gets the
        // constant, not a new string.
        return basePath.isEmpty() ? "/invocations" : basePath + "/invocations";
    }

    @Override
    public String toString() {
        return (tls ? "https://" : "http://") + host + ":" + port + basePath;
    }
}
