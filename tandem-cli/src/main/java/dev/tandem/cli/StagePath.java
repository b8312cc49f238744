package dev.tandem.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The class loader for users' in-process stages: the jars named by {@code --stage-path}. */
final class StagePath {
    private StagePath() {}

    /**
     * A loader over every jar in {@code entries} (a jar, or a folder whose jars are taken), whose
     * parent is Tandem's own loader; Tandem's loader itself when there are none.
     *
     * @throws IllegalArgumentException naming an entry that is neither a jar nor a folder
     */
    static ClassLoader classLoader(List<Path> entries, ClassLoader parent) {
        List<URL> jars = new ArrayList<>();
        for (Path entry : entries) {
            if (Files.isDirectory(entry)) {
                try (Stream<Path> files = Files.list(entry)) {
                    for (Path jar : files.filter(f -> f.toString().endsWith(".jar"))
                            .sorted()
                            .toList()) {
                        jars.add(url(jar));
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot list " + entry, e);
                }
            } else if (Files.isRegularFile(entry) && entry.toString().endsWith(".jar")) {
                jars.add(url(entry));
            } else {
                throw new IllegalArgumentException("--stage-path " + entry + " is neither a jar nor a folder");
            }
        }
        return jars.isEmpty() ? parent : new URLClassLoader("tandem-stages", jars.toArray(URL[]::new), parent);
    }

    private static URL url(Path jar) {
        try {
            return jar.toAbsolutePath().toUri().toURL();
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException("--stage-path " + jar + " is not a valid path", e);
        }
    }
}
