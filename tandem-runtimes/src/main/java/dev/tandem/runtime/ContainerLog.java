package dev.tandem.runtime;

import dev.tandem.core.runtime.LogLine;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The output of one container: each line goes to the server log, tagged with the endpoint and
 * hostname; the most recent lines are kept in memory for diagnosis, and all of them in a rotated
 * file when {@link ContainerLogs} gives one.
 */
public final class ContainerLog {
    private final Logger logger;
    private final String tag;
    private final String endpoint;
    private final String instance;
    private final String hostname;
    private final int capacity;
    private final ArrayDeque<LogLine> lines;
    private final @Nullable RotatingLogFile file;
    private long sequence;

    /** A log kept in memory only. */
    public ContainerLog(String endpointName, String instanceId, String hostname, int capacity) {
        this(endpointName, instanceId, hostname, capacity, null);
    }

    ContainerLog(
            String endpointName, String instanceId, String hostname, int capacity, @Nullable RotatingLogFile file) {
        this.file = file;
        this.logger = LoggerFactory.getLogger("tandem.container." + endpointName + "." + hostname);
        this.tag = "[" + endpointName + "/" + instanceId + "/" + hostname + "] ";
        this.endpoint = endpointName;
        this.instance = instanceId;
        this.hostname = hostname;
        this.capacity = capacity;
        this.lines = new ArrayDeque<>(Math.min(capacity, 256));
    }

    /** Records one line the container wrote on {@code stream} ("stdout" or "stderr"). */
    public void append(String stream, String line) {
        log(stream, tag + stream + ": " + line);
        keep(stream, line);
    }

    /** Records an event of Tandem's about the container (started, exited, restarting). */
    public void event(String message) {
        log("tandem", tag + message);
        keep("tandem", message);
    }

    /** To the server log, with the fields a structured (JSON) log shows. */
    private void log(String stream, String message) {
        logger.atInfo()
                .addKeyValue("endpoint", endpoint)
                .addKeyValue("instance", instance)
                .addKeyValue("container", hostname)
                .addKeyValue("stream", stream)
                .log(message);
    }

    private void keep(String stream, String message) {
        LogLine line;
        synchronized (lines) {
            if (lines.size() == capacity) {
                lines.removeFirst();
            }
            line = new LogLine(++sequence, Instant.now(), stream, message);
            lines.addLast(line);
        }
        if (file != null) {
            file.write(line.time() + " " + stream + ": " + message);
        }
    }

    /** Closes the log's file, if it has one; the lines in memory stay readable. */
    public void close() {
        if (file != null) {
            file.close();
        }
    }

    /** The kept lines, oldest first; at most the capacity, the oldest dropped first. */
    public List<LogLine> recent() {
        synchronized (lines) {
            return new ArrayList<>(lines);
        }
    }
}
