package dev.tandem.stages.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** Finds a stage's files in its model folder, with errors that list what is there. */
public final class ModelFiles {
    private ModelFiles() {}

    /**
     * The file {@code named} (relative to the model folder) when given, else the only file in the
     * folder tree whose name ends with one of {@code suffixes}.
     */
    public static Path find(Path modelDir, Optional<String> named, String... suffixes) {
        if (named.isPresent()) {
            Path file = modelDir.resolve(named.get()).normalize();
            if (!file.startsWith(modelDir.normalize())) {
                throw new IllegalArgumentException(named.get() + " is outside the model folder");
            }
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException(
                        "the model folder has no file " + named.get() + "; it holds " + listing(modelDir));
            }
            return file;
        }
        List<Path> matches = files(modelDir).stream()
                .filter(file -> endsWithAny(file.getFileName().toString(), suffixes))
                .toList();
        if (matches.size() == 1) {
            return matches.get(0);
        }
        String wanted = "a " + String.join(" or ", suffixes) + " file";
        if (matches.isEmpty()) {
            throw new IllegalArgumentException(
                    "the model folder has no " + wanted.substring(2) + "; it holds " + listing(modelDir));
        }
        throw new IllegalArgumentException("the model folder has " + matches.size() + " candidates for " + wanted + " ("
                + relative(modelDir, matches) + "); name one in the Environment");
    }

    /** The file {@code name} in the model folder, if present. */
    public static Optional<Path> optional(Path modelDir, String name) {
        Path file = modelDir.resolve(name);
        return Files.isRegularFile(file) ? Optional.of(file) : Optional.empty();
    }

    private static boolean endsWithAny(String name, String... suffixes) {
        for (String suffix : suffixes) {
            if (name.endsWith(suffix)) {
                return true;
            }
        }
        return false;
    }

    private static List<Path> files(Path modelDir) {
        if (!Files.isDirectory(modelDir)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(modelDir)) {
            return walk.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the model folder " + modelDir, e);
        }
    }

    private static String listing(Path modelDir) {
        List<Path> files = files(modelDir);
        return files.isEmpty() ? "nothing (is ModelDataUrl set?)" : relative(modelDir, files);
    }

    private static String relative(Path modelDir, List<Path> files) {
        return String.join(
                ", ",
                files.stream()
                        .limit(20)
                        .map(file -> modelDir.relativize(file).toString())
                        .toList());
    }
}
