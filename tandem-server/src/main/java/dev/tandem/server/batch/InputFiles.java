package dev.tandem.server.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.core.error.ValidationException;
import dev.tandem.runtime.storage.Location;
import dev.tandem.runtime.storage.ObjectStore;
import dev.tandem.runtime.storage.S3Location;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The input objects of a transform job: every object under a prefix, or those a manifest lists, in
 * a local folder tree or an S3-compatible store.
 */
public final class InputFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectStore objects;

    public InputFiles(ObjectStore objects) {
        this.objects = objects;
    }

    /**
     * One input.
     *
     * @param name its key relative to the prefix's folder (or as the manifest lists it): the output
     *     is {@code S3OutputPath/name.out}
     */
    public record InputFile(Location location, String name, long size) {}

    public List<InputFile> list(TransformJobSpec.InputSpec input) {
        List<InputFile> files = input.manifest() ? manifest(input.location()) : prefix(input.location());
        if (files.isEmpty()) {
            throw new ValidationException("No input files match " + (input.manifest() ? "the manifest " : "the prefix ")
                    + input.location() + ".");
        }
        return files;
    }

    InputStream open(InputFile file) throws IOException {
        return switch (file.location()) {
            case Location.Local local -> Files.newInputStream(local.asPath());
            case Location.Remote remote -> objects.open(remote.object());
        };
    }

    private List<InputFile> prefix(Location location) {
        return switch (location) {
            case Location.Local local -> localPrefix(local.path());
            case Location.Remote remote -> remotePrefix(remote.object());
        };
    }

    /**
     * S3's prefix rule on a file tree: a folder takes every file beneath it; otherwise the path's
     * folder is searched for files whose path, relative to it, starts with the last segment.
     */
    private static List<InputFile> localPrefix(String location) {
        Path path = Path.of(location);
        boolean folder = location.endsWith("/") || Files.isDirectory(path);
        Path base = folder ? path : path.toAbsolutePath().getParent();
        String start = folder ? "" : String.valueOf(path.getFileName());
        if (base == null || !Files.isDirectory(base)) {
            throw new ValidationException("The input prefix file:" + location + " names no folder that exists.");
        }
        try (Stream<Path> walk = Files.walk(base)) {
            return walk.filter(Files::isRegularFile)
                    .filter(file -> !String.valueOf(file.getFileName()).startsWith("."))
                    .map(file -> base.relativize(file).toString())
                    .filter(name -> name.startsWith(start))
                    .sorted()
                    .map(name -> local(base.resolve(name), name))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the input prefix " + location, e);
        }
    }

    /** Every object under the prefix, named relative to the prefix's "folder" (up to its last /). */
    private List<InputFile> remotePrefix(S3Location prefix) {
        String folder = prefix.key().substring(0, prefix.key().lastIndexOf('/') + 1);
        try {
            return objects.list(prefix).stream()
                    .map(object -> new InputFile(
                            new Location.Remote(object.location()),
                            object.location().key().substring(folder.length()),
                            object.size()))
                    .toList();
        } catch (ObjectStore.StorageException e) {
            throw new ValidationException("The input prefix " + prefix + " cannot be listed: " + e.getMessage());
        }
    }

    /** SageMaker's manifest: {@code [{"prefix": "s3://bucket/data/"}, "a.csv", "b/c.csv"]}. */
    private List<InputFile> manifest(Location manifest) {
        JsonNode root;
        try (InputStream in =
                switch (manifest) {
                    case Location.Local local -> Files.newInputStream(local.asPath());
                    case Location.Remote remote -> objects.open(remote.object());
                }) {
            root = JSON.readTree(in);
        } catch (IOException | RuntimeException e) {
            throw new ValidationException("The manifest " + manifest + " cannot be read as JSON: " + e.getMessage());
        }
        if (root == null
                || !root.isArray()
                || root.isEmpty()
                || !root.get(0).path("prefix").isTextual()) {
            throw new ValidationException("The manifest " + manifest
                    + " must be a JSON array starting with {\"prefix\": \"...\"} followed by keys.");
        }
        Location base = Location.parse(root.get(0).get("prefix").asText(), "The manifest's prefix");
        List<InputFile> files = new ArrayList<>();
        for (int i = 1; i < root.size(); i++) {
            String key = root.get(i).asText();
            files.add(
                    switch (base) {
                        case Location.Local local -> {
                            Path folder = local.asPath().normalize();
                            Path file = folder.resolve(key).normalize();
                            if (!file.startsWith(folder) || !Files.isRegularFile(file)) {
                                throw new ValidationException(
                                        "The manifest lists " + key + ", which is not a file under " + local + ".");
                            }
                            yield local(file, key);
                        }
                        case Location.Remote remote -> {
                            S3Location object = remote.object().child(key);
                            try {
                                yield new InputFile(
                                        new Location.Remote(object),
                                        key,
                                        objects.head(object).size());
                            } catch (ObjectStore.StorageException e) {
                                throw new ValidationException("The manifest lists " + key + ": " + e.getMessage());
                            }
                        }
                    });
        }
        return files;
    }

    private static InputFile local(Path path, String name) {
        try {
            return new InputFile(new Location.Local(path.toString()), name, Files.size(path));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }
}
