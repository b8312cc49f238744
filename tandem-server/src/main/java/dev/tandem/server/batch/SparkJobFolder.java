package dev.tandem.server.batch;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The folder through which a server and the Spark driver of one of its jobs talk, so that either
 * may restart without the other: the server writes {@code job.json} (and {@code stop} to stop the
 * job), the driver writes {@code status.json}; {@code driver.json} names the driver's process,
 * {@code driver.log} holds its output. Files are replaced whole, never seen half-written.
 */
public final class SparkJobFolder {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;

    public SparkJobFolder(Path dir) {
        this.dir = dir;
    }

    /** The driver's process: its pid and when it started (so a reused pid is not taken for it). */
    public record Driver(long pid, long startedEpochMillis) {}

    public Path dir() {
        return dir;
    }

    public Path log() {
        return dir.resolve("driver.log");
    }

    public void writeJob(SparkJob job) {
        // It holds the store's credentials: readable by this user only.
        write("job.json", job, true);
    }

    public SparkJob job() {
        return read("job.json", SparkJob.class).orElseThrow(() -> new IllegalStateException("no job.json in " + dir));
    }

    public void writeStatus(SparkJobStatus status) {
        write("status.json", status, false);
    }

    public Optional<SparkJobStatus> status() {
        return read("status.json", SparkJobStatus.class);
    }

    public void writeDriver(Driver driver) {
        write("driver.json", driver, false);
    }

    public Optional<Driver> driver() {
        return read("driver.json", Driver.class);
    }

    /** Asks the driver to stop the job. */
    public void requestStop() {
        try {
            Files.writeString(dir.resolve("stop"), "");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public boolean stopRequested() {
        return Files.exists(dir.resolve("stop"));
    }

    /** Empties the folder for a new run of the job (its log kept, the old one renamed). */
    public void reset() {
        try {
            Files.createDirectories(dir);
            for (String name : new String[] {"status.json", "driver.json", "stop"}) {
                Files.deleteIfExists(dir.resolve(name));
            }
            if (Files.exists(log())) {
                Files.move(log(), dir.resolve("driver.log.1"), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void write(String name, Object value, boolean ownerOnly) {
        try {
            Files.createDirectories(dir);
            Path partial = Files.createTempFile(dir, "." + name, ".partial");
            if (ownerOnly) {
                Files.setPosixFilePermissions(partial, PosixFilePermissions.fromString("rw-------"));
            }
            JSON.writeValue(partial.toFile(), value);
            Files.move(partial, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(name), e);
        }
    }

    private <T> Optional<T> read(String name, Class<T> type) {
        Path file = dir.resolve(name);
        try {
            return Files.exists(file) ? Optional.of(JSON.readValue(file.toFile(), type)) : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    @Override
    public String toString() {
        return dir.toString();
    }

    static @Nullable String lastLines(Path log, int count) {
        try {
            if (!Files.exists(log)) {
                return null;
            }
            var lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - count), lines.size()));
        } catch (IOException | UncheckedIOException e) {
            return null;
        }
    }
}
