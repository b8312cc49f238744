package dev.tandem.runtime.model;

import dev.tandem.core.error.ValidationException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Extracts a {@code model.tar.gz} into a folder, refusing what could escape it or exhaust the disk:
 * absolute paths, {@code ..}, links that lead outside, device files, and archives past the limits.
 * It extracts into a sibling temporary folder and renames it into place, so a failure leaves no
 * half-extracted folder behind.
 */
public final class SafeTarExtractor {
    private final ArchiveLimits limits;

    public SafeTarExtractor(ArchiveLimits limits) {
        this.limits = limits;
    }

    /** Extracts {@code archive} to {@code target}, which must not exist yet. */
    public void extract(Path archive, Path target) {
        Path staging = target.resolveSibling(
                target.getFileName() + ".partial-" + ProcessHandle.current().pid());
        try {
            deleteTree(staging);
            Files.createDirectories(staging);
            try (InputStream file = Files.newInputStream(archive);
                    InputStream gzip = GzipCompressorInputStream.builder()
                            .setInputStream(new BufferedInputStream(file))
                            .setDecompressConcatenated(true)
                            .get();
                    TarArchiveInputStream tar = new TarArchiveInputStream(gzip)) {
                unpack(tar, staging, archive);
            }
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            deleteQuietly(staging);
            throw new ValidationException("Cannot extract model archive " + archive + ": " + e.getMessage());
        } catch (RuntimeException e) {
            deleteQuietly(staging);
            throw e;
        }
    }

    private void unpack(TarArchiveInputStream tar, Path root, Path archive) throws IOException {
        long total = 0;
        int entries = 0;
        TarArchiveEntry entry;
        while ((entry = tar.getNextEntry()) != null) {
            if (++entries > limits.maxEntries()) {
                throw refuse(archive, "it has more than " + limits.maxEntries() + " entries");
            }
            String name = entry.getName();
            Path destination = inside(root, name, archive);
            if (entry.isDirectory()) {
                Files.createDirectories(destination);
            } else if (entry.isSymbolicLink()) {
                Path folder = folderOf(destination);
                Path linkTarget = folder.resolve(entry.getLinkName()).normalize();
                if (entry.getLinkName().startsWith("/") || !linkTarget.startsWith(root)) {
                    throw refuse(
                            archive, "link " + name + " -> " + entry.getLinkName() + " leads outside the model folder");
                }
                Files.createDirectories(folder);
                Files.createSymbolicLink(destination, folder.relativize(linkTarget));
            } else if (entry.isLink()) {
                Path source = inside(root, entry.getLinkName(), archive);
                Files.createDirectories(folderOf(destination));
                Files.createLink(destination, source);
            } else if (entry.isFile()) {
                Files.createDirectories(folderOf(destination));
                try (OutputStream out = Files.newOutputStream(destination)) {
                    byte[] buffer = new byte[64 * 1024];
                    int read;
                    while ((read = tar.read(buffer)) != -1) {
                        total += read;
                        if (total > limits.maxBytes()) {
                            throw refuse(archive, "it expands past the limit of " + limits.maxBytes() + " bytes");
                        }
                        out.write(buffer, 0, read);
                    }
                }
                if ((entry.getMode() & 0100) != 0) {
                    destination.toFile().setExecutable(true, false);
                }
            } else {
                throw refuse(archive, "entry " + name + " is not a file, folder or link");
            }
        }
    }

    private static Path inside(Path root, String name, Path archive) {
        if (name.startsWith("/") || name.contains("\\")) {
            throw refuse(archive, "entry " + name + " has an absolute path");
        }
        Path destination = root.resolve(name).normalize();
        if (!destination.startsWith(root)) {
            throw refuse(archive, "entry " + name + " leads outside the model folder");
        }
        return destination;
    }

    /** The folder an entry goes in; every destination lies strictly inside the root. */
    private static Path folderOf(Path destination) {
        return java.util.Objects.requireNonNull(destination.getParent(), "entry has no folder");
    }

    private static ValidationException refuse(Path archive, String why) {
        return new ValidationException("Refusing model archive " + archive + ": " + why);
    }

    private static void deleteQuietly(Path tree) {
        try {
            deleteTree(tree);
        } catch (IOException e) {
            // Best effort: the staging folder has a unique name and is retried next time.
        }
    }

    static void deleteTree(Path tree) throws IOException {
        if (!Files.exists(tree, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(tree)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
