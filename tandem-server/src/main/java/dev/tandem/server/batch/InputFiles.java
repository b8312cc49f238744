package dev.tandem.server.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.core.error.ValidationException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The input objects of a transform job: every file under a prefix, or those a manifest lists. */
final class InputFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    private InputFiles() {}

    /**
     * One input.
     *
     * @param name its key relative to the prefix (or as the manifest lists it): the output is
     *     {@code S3OutputPath/name.out}
     */
    record InputFile(Path path, String name, long size) {}

    static List<InputFile> list(TransformJobSpec.InputSpec input) {
        List<InputFile> files = input.manifest() ? manifest(Path.of(input.path())) : prefix(input.path());
        if (files.isEmpty()) {
            throw new ValidationException("No input files match " + (input.manifest() ? "the manifest " : "the prefix ")
                    + "file:" + input.path() + ".");
        }
        return files;
    }

    /**
     * S3's prefix rule on a file tree: a folder takes every file beneath it; otherwise the path's
     * folder is searched for files whose path, relative to it, starts with the last segment.
     */
    private static List<InputFile> prefix(String location) {
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
                    .map(name -> file(base.resolve(name), name))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the input prefix " + location, e);
        }
    }

    /** SageMaker's manifest: {@code [{"prefix": "file:/data/"}, "a.csv", "b/c.csv"]}. */
    private static List<InputFile> manifest(Path manifest) {
        JsonNode root;
        try {
            root = JSON.readTree(manifest.toFile());
        } catch (IOException e) {
            throw new ValidationException(
                    "The manifest file:" + manifest + " cannot be read as JSON: " + e.getMessage());
        }
        if (!root.isArray() || root.isEmpty() || !root.get(0).path("prefix").isTextual()) {
            throw new ValidationException("The manifest file:" + manifest
                    + " must be a JSON array starting with {\"prefix\": \"file:/...\"} followed by keys.");
        }
        Path base = Path.of(TransformJobSpec.location(root.get(0).get("prefix").asText(), "The manifest's prefix"));
        List<InputFile> files = new ArrayList<>();
        for (int i = 1; i < root.size(); i++) {
            String key = root.get(i).asText();
            Path file = base.resolve(key).normalize();
            if (!file.startsWith(base.normalize()) || !Files.isRegularFile(file)) {
                throw new ValidationException(
                        "The manifest lists " + key + ", which is not a file under " + base + ".");
            }
            files.add(file(file, key));
        }
        return files;
    }

    private static InputFile file(Path path, String name) {
        try {
            return new InputFile(path, name, Files.size(path));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }
}
