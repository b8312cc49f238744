package dev.tandem.server.http;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Objects;

/**
 * What one client connection may hold of the server.
 *
 * @param idleTimeout how long a connection may go without sending a complete request head — from
 *     the moment it opens or its last answer is written (75 s, nginx's {@code keepalive_timeout}).
 *     Longer than the 60 s after which the common clients (the AWS SDKs' HTTP clients, Vert.x)
 *     drop an idle pooled connection themselves, so that they close first: a server that closes a
 *     kept-alive connection just as its client sends on it fails that request. An idle connection
 *     is closed then; one caught half way through a request head (a slow-loris sender) is answered
 *     408 and closed. A request being served is never cut: the clock runs only between requests.
 * @param maxConnections how many client connections may be open at once; one past it is closed as
 *     soon as it is accepted, so a flood of idle sockets cannot take the file descriptors that
 *     containers, logs and the state store need (10,000, or half the process's file limit)
 */
public record ConnectionLimits(Duration idleTimeout, int maxConnections) {
    public ConnectionLimits {
        Objects.requireNonNull(idleTimeout, "idle-timeout");
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("idle-timeout must be positive, was " + idleTimeout);
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("max-connections must be at least 1, was " + maxConnections);
        }
    }

    public static ConnectionLimits defaults() {
        return new ConnectionLimits(Duration.ofSeconds(75), defaultMaxConnections());
    }

    public ConnectionLimits withIdleTimeout(Duration value) {
        return new ConnectionLimits(value, maxConnections);
    }

    public ConnectionLimits withMaxConnections(int value) {
        return new ConnectionLimits(idleTimeout, value);
    }

    private static int defaultMaxConnections() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean os) {
            return (int) Math.max(256, Math.min(10_000, os.getMaxFileDescriptorCount() / 2));
        }
        return 10_000;
    }
}
