package dev.tandem.runtime.storage;

import dev.tandem.core.stage.Payload;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.jspecify.annotations.Nullable;

/**
 * Reads and writes whole objects at {@link Location}s, local or in an S3-compatible store, the
 * same way for both. A write is atomic: an object either does not exist or is complete.
 */
public final class Locations {
    private final ObjectStore objects;

    public Locations(ObjectStore objects) {
        this.objects = objects;
    }

    public boolean exists(Location location) {
        return switch (location) {
            case Location.Local local -> Files.isRegularFile(local.asPath());
            case Location.Remote remote -> objects.exists(remote.object());
        };
    }

    /** The object's bytes as a stream; close it when done. */
    public InputStream open(Location location) throws IOException {
        return switch (location) {
            case Location.Local local -> Files.newInputStream(local.asPath());
            case Location.Remote remote -> objects.open(remote.object());
        };
    }

    /** Copies the object into {@code target}, streaming: it is never held in memory. */
    public void download(Location location, Path target) throws IOException {
        switch (location) {
            case Location.Local local -> Files.copy(local.asPath(), target, StandardCopyOption.REPLACE_EXISTING);
            case Location.Remote remote -> objects.download(remote.object(), target);
        }
    }

    /**
     * Writes {@code body} as the object at {@code location}, of type {@code contentType} where the
     * store keeps types; a local file is written beside its place and moved there in one step.
     *
     * @throws UncheckedIOException or {@link ObjectStore.StorageException} when it cannot be written
     */
    public void publish(Location location, Payload body, @Nullable String contentType) {
        switch (location) {
            case Location.Local local -> publishLocally(local.asPath(), body);
            case Location.Remote remote -> {
                Path file = body.file().orElse(null);
                if (file != null) {
                    objects.upload(file, remote.object(), contentType);
                } else {
                    objects.put(body.unsafeArray(), remote.object(), contentType);
                }
            }
        }
    }

    private static void publishLocally(Path target, Payload body) {
        try {
            Path folder = Files.createDirectories(target.toAbsolutePath().getParent());
            Path partial = folder.resolve("." + target.getFileName() + ".partial");
            try (InputStream in = body.openStream()) {
                Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
                Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(partial);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }
}
