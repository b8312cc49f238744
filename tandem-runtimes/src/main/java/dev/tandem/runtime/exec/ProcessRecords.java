package dev.tandem.runtime.exec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A file per running container process under the data dir, so that processes left behind by a
 * server that was killed (SIGKILL, a crash: no shutdown hook ran) are found and stopped when the
 * next server starts on the same data dir. A process is identified by its pid and start time, so a
 * reused pid is never taken for ours.
 */
public final class ProcessRecords {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessRecords.class);

    private final Path folder;

    public ProcessRecords(Path folder) {
        this.folder = folder;
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + folder, e);
        }
    }

    /** Records a started process; returns the record to {@link #forget} when it has stopped. */
    Path remember(String name, ProcessHandle process) {
        Path record = folder.resolve(name + ".pid");
        String started = process.info().startInstant().map(Instant::toString).orElse("");
        try {
            Files.writeString(record, process.pid() + " " + started + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            LOG.warn("cannot record process {} in {}: {}", process.pid(), record, e.toString());
        }
        return record;
    }

    void forget(Path record) {
        try {
            Files.deleteIfExists(record);
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", record, e.toString());
        }
    }

    /**
     * Stops every recorded process that still runs — SIGTERM, then SIGKILL after {@code grace} —
     * with the processes it started, and clears the records. Call once, before starting containers.
     *
     * @return how many processes were stopped
     */
    public int stopLeftovers(Duration grace) {
        List<ProcessHandle> leftovers = new ArrayList<>();
        try (Stream<Path> records = Files.list(folder)) {
            for (Path record :
                    records.filter(p -> p.toString().endsWith(".pid")).toList()) {
                read(record).ifPresent(leftovers::add);
                forget(record);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + folder, e);
        }
        for (ProcessHandle process : leftovers) {
            LOG.warn("Stopping container process {} left behind by a server that did not stop cleanly", process.pid());
            List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
            tree.add(process);
            tree.forEach(ProcessHandle::destroy);
            for (ProcessHandle handle : tree) {
                try {
                    handle.onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
                } catch (Exception e) {
                    handle.destroyForcibly();
                }
            }
        }
        return leftovers.size();
    }

    private static Optional<ProcessHandle> read(Path record) {
        try {
            String[] parts =
                    Files.readString(record, StandardCharsets.UTF_8).trim().split(" ", -1);
            long pid = Long.parseLong(parts[0]);
            String started = parts.length > 1 ? parts[1] : "";
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(p -> p.info()
                    .startInstant()
                    .map(Instant::toString)
                    .orElse("")
                    .equals(started));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
