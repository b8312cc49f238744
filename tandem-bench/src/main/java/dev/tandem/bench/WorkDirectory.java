package dev.tandem.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * Temporary folders of a benchmark run, removed when its JVM exits. A run writes what its servers
 * write — state, logs, and with data capture on, every request and response: the observability
 * benchmark alone left 0.8–3.5 GB a run in {@code /tmp} before its folders were removed.
 */
final class WorkDirectory {
    private static final List<Path> CREATED = new CopyOnWriteArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(WorkDirectory::removeAll, "bench-work-cleanup"));
    }

    private WorkDirectory() {}

    /** A new empty folder under the system's temporary folder, named {@code prefix…}. */
    static Path create(String prefix) throws IOException {
        Path folder = Files.createTempDirectory(prefix);
        CREATED.add(folder);
        return folder;
    }

    private static void removeAll() {
        for (Path folder : CREATED) {
            try {
                removeTree(folder);
            } catch (IOException | UncheckedIOException e) {
                System.err.println("could not remove " + folder + ": " + e);
            }
        }
    }

    /** Removes {@code tree} and everything in it; nothing when it does not exist. */
    static void removeTree(Path tree) throws IOException {
        if (!Files.exists(tree)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(tree)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
