package dev.tandem.server.http;

import io.vertx.core.transport.Transport;
import java.util.Locale;

/**
 * How the event loops move bytes: the kernel interface under every socket of the server, the
 * client connections and the hops to containers alike.
 *
 * <p>{@link #AUTO}, the default, takes io_uring where the kernel allows it, else epoll, else Java's
 * NIO. io_uring first because it is the cheaper one here: a one-container pipeline driven by
 * {@code wrk} at 16 connections served 23.3k against 18.5k req/s on epoll, at 36 against 56 µs of
 * CPU a request, and at 64 connections 32.8k against 20.9k (the same within noise at one
 * connection). A loop on io_uring submits and reaps its sockets' reads and writes in batches
 * instead of one system call each.
 */
public enum IoTransport {
    AUTO,
    IO_URING,
    EPOLL,
    NIO;

    /**
     * The transport asked for by its name ({@code auto}, {@code io_uring}, {@code epoll}, {@code
     * nio}; any case, {@code io-uring} too).
     */
    public static IoTransport named(String name) {
        String key = name.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (IoTransport each : values()) {
            if (each.name().equals(key)) {
                return each;
            }
        }
        throw new IllegalArgumentException(
                "io-transport must be one of auto, io_uring, epoll, nio; was '" + name + "'");
    }

    /**
     * Vert.x's transport for this choice on this machine. An explicit choice the machine cannot
     * give fails with the reason (a kernel without io_uring, a system without epoll), rather than
     * quietly running on another.
     */
    public Transport resolve() {
        if (this == AUTO) {
            for (Transport candidate : new Transport[] {Transport.IO_URING, Transport.EPOLL}) {
                if (candidate != null && candidate.available()) {
                    return candidate;
                }
            }
            return Transport.NIO;
        }
        // Vert.x leaves a native transport's constant null when its classes are not on the class path.
        Transport asked =
                switch (this) {
                    case IO_URING -> Transport.IO_URING;
                    case EPOLL -> Transport.EPOLL;
                    default -> Transport.NIO;
                };
        if (asked == null) {
            throw new IllegalArgumentException(
                    "the " + label() + " transport is not available here: it is not installed");
        }
        if (!asked.available()) {
            throw new IllegalArgumentException(
                    "the " + label() + " transport is not available here: " + asked.unavailabilityCause(),
                    asked.unavailabilityCause());
        }
        return asked;
    }

    /** How the option spells it. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** How a resolved Vert.x transport is named in logs: io_uring, epoll or nio. */
    public static String labelOf(Transport resolved) {
        return resolved.name().toLowerCase(Locale.ROOT);
    }
}
