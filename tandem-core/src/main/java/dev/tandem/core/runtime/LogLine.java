package dev.tandem.core.runtime;

import java.time.Instant;

/**
 * One line a container wrote, or an event of Tandem's about it.
 *
 * @param sequence its position in the container's log, from 1
 * @param stream {@code stdout}, {@code stderr} or {@code tandem}
 */
public record LogLine(long sequence, Instant time, String stream, String message) {}
