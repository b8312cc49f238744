package dev.tandem.server.batch;

import dev.tandem.runtime.storage.Location;
import dev.tandem.runtime.storage.ObjectStore;
import dev.tandem.runtime.storage.S3Location;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;

/**
 * One input's output, {@code NAME.out}: written to a hidden partial file and published only when
 * the whole input succeeded — moved into place locally, uploaded to an S3-compatible store — so
 * that no truncated output ever looks complete.
 */
final class OutputFile implements AutoCloseable {
    private final Location target;
    private final Path partial;
    private final OutputStream out;
    private final ObjectStore objects;
    private boolean open = true;

    private OutputFile(Location target, Path partial, ObjectStore objects) throws IOException {
        this.target = target;
        this.partial = partial;
        this.objects = objects;
        this.out = new BufferedOutputStream(Files.newOutputStream(partial), 1 << 16);
    }

    /** Where the output of input {@code inputName} goes. */
    static Location target(Location outputDir, String inputName) {
        return outputDir.child(inputName + ".out");
    }

    static boolean exists(Location target, ObjectStore objects) {
        return switch (target) {
            case Location.Local local -> Files.exists(local.asPath());
            case Location.Remote remote -> objects.exists(remote.object());
        };
    }

    /**
     * @param scratch where partial outputs bound for an object store are written first
     */
    static OutputFile create(Location outputDir, String inputName, ObjectStore objects, Path scratch)
            throws IOException {
        Location target = target(outputDir, inputName);
        Path partial =
                switch (target) {
                    case Location.Local local -> {
                        Path file = local.asPath();
                        Files.createDirectories(file.getParent());
                        // Named per writer: a retried Spark task may overlap the attempt it replaces.
                        yield file.resolveSibling("." + file.getFileName() + "." + UUID.randomUUID() + ".partial");
                    }
                    case Location.Remote remote ->
                        Files.createTempFile(Files.createDirectories(scratch), "output-", ".partial");
                };
        return new OutputFile(target, partial, objects);
    }

    void write(byte[] bytes) throws IOException {
        out.write(bytes);
    }

    void newline() throws IOException {
        out.write('\n');
    }

    /** Publishes the output. */
    void commit() throws IOException {
        closeStream();
        switch (target) {
            case Location.Local local ->
                Files.move(
                        partial, local.asPath(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            case Location.Remote remote -> {
                try {
                    objects.upload(partial, remote.object());
                } catch (ObjectStore.StorageException e) {
                    throw new IOException(e.getMessage(), e);
                } finally {
                    Files.deleteIfExists(partial);
                }
            }
        }
    }

    /** Drops the output, and any older {@code NAME.out} that would otherwise look current. */
    void discard() {
        try {
            closeStream();
        } catch (IOException e) {
            // the file is deleted next
        }
        try {
            Files.deleteIfExists(partial);
            switch (target) {
                case Location.Local local -> Files.deleteIfExists(local.asPath());
                case Location.Remote remote -> deleteQuietly(remote.object());
            }
        } catch (IOException e) {
            // nothing more can be done; the job's failure reason already names this input
        }
    }

    private void deleteQuietly(S3Location object) {
        try {
            objects.delete(object);
        } catch (ObjectStore.StorageException e) {
            // as above
        }
    }

    private void closeStream() throws IOException {
        if (open) {
            open = false;
            out.close();
        }
    }

    @Override
    public void close() {
        if (open) {
            discard();
        }
    }
}
