package dev.tandem.runtime.model;

import dev.tandem.core.error.ValidationException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.jspecify.annotations.Nullable;

/**
 * Turns a container's {@code ModelDataUrl} into a local folder for {@code SM_MODEL_DIR}: a {@code
 * file:} folder is used as it is; a {@code file:} {@code .tar.gz} is extracted once per content
 * (path, size and modification time) under the data dir and reused by every instance.
 */
public final class ModelDataStore {
    private final Path modelsDir;
    private final SafeTarExtractor extractor;

    public ModelDataStore(Path dataDir, ArchiveLimits limits) {
        this.modelsDir = dataDir.resolve("models");
        this.extractor = new SafeTarExtractor(limits);
    }

    /**
     * The local folder holding the model data at {@code url}; an empty folder when {@code url} is
     * absent.
     *
     * @param where the member that named the URL, for error messages
     */
    public synchronized Path resolve(@Nullable URI url, String where) {
        try {
            if (url == null) {
                return Files.createDirectories(modelsDir.resolve("empty"));
            }
            Path path = locate(url, where);
            if (Files.isDirectory(path)) {
                return path;
            }
            Path target = modelsDir.resolve(contentKey(path));
            if (!Files.isDirectory(target)) {
                Files.createDirectories(modelsDir);
                extractor.extract(path, target);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare model data for " + where, e);
        }
    }

    /**
     * Checks that {@code url} names model data this store can serve, without fetching or extracting
     * it.
     *
     * @throws ValidationException naming {@code where} and the problem
     */
    public void check(@Nullable URI url, String where) {
        if (url != null) {
            locate(url, where);
        }
    }

    /** The local folder or archive {@code url} names, checked to exist and be of a usable kind. */
    private static Path locate(URI url, String where) {
        if (!"file".equals(url.getScheme())) {
            throw new ValidationException(where + " " + url + ": only file: model data is supported by this server;"
                    + " S3 and HTTPS model data need an object store configured");
        }
        Path path = Path.of(url);
        if (Files.isDirectory(path)) {
            return path;
        }
        if (!Files.isRegularFile(path)) {
            throw new ValidationException(where + " " + path + " does not exist");
        }
        String name = path.getFileName().toString();
        if (!name.endsWith(".tar.gz") && !name.endsWith(".tgz")) {
            throw new ValidationException(where + " " + path + " must be a folder or a .tar.gz archive");
        }
        return path;
    }

    private static String contentKey(Path archive) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(archive, BasicFileAttributes.class);
        String identity = archive.toAbsolutePath() + "|" + attributes.size() + "|"
                + attributes.lastModifiedTime().toMillis();
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(identity.getBytes(StandardCharsets.UTF_8));
            String stem = archive.getFileName().toString().replaceAll("\\.(tar\\.gz|tgz)$", "");
            return stem + "-" + HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
