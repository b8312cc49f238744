package dev.tandem.runtime.model;

import dev.tandem.core.error.ValidationException;
import dev.tandem.runtime.storage.ObjectStore;
import dev.tandem.runtime.storage.S3Location;
import dev.tandem.runtime.storage.S3Settings;
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
 * (path, size and modification time) under the data dir and reused by every instance; an {@code
 * s3://} {@code .tar.gz} is downloaded and extracted once per content (bucket, key, ETag, size).
 */
public final class ModelDataStore {
    private final Path modelsDir;
    private final SafeTarExtractor extractor;
    private final ObjectStore objects;

    public ModelDataStore(Path dataDir, ArchiveLimits limits, ObjectStore objects) {
        this.modelsDir = dataDir.resolve("models");
        this.extractor = new SafeTarExtractor(limits);
        this.objects = objects;
    }

    /** A store for {@code file:} model data only (and S3 through the SDK's default settings). */
    public ModelDataStore(Path dataDir, ArchiveLimits limits) {
        this(dataDir, limits, new ObjectStore(S3Settings.defaults()));
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
            if ("s3".equals(url.getScheme())) {
                return fromS3(S3Location.parse(url.toString(), where), where);
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

    private Path fromS3(S3Location location, String where) throws IOException {
        if (!isArchive(location.key())) {
            throw new ValidationException(where + " " + location + " must be a .tar.gz archive");
        }
        ObjectStore.ObjectInfo object;
        try {
            object = objects.head(location);
        } catch (ObjectStore.StorageException e) {
            throw new ValidationException(where + " " + e.getMessage());
        }
        String name = location.key().substring(location.key().lastIndexOf('/') + 1);
        Path target = modelsDir.resolve(key(name, location + "|" + object.etag() + "|" + object.size()));
        if (!Files.isDirectory(target)) {
            Path downloads = Files.createDirectories(modelsDir.resolve("downloads"));
            Path archive = downloads.resolve(target.getFileName() + ".tar.gz");
            try {
                objects.download(location, archive);
                extractor.extract(archive, target);
            } finally {
                Files.deleteIfExists(archive);
            }
        }
        return target;
    }

    /**
     * Checks that {@code url} names model data this store can serve, without fetching or extracting
     * it.
     *
     * @throws ValidationException naming {@code where} and the problem
     */
    public void check(@Nullable URI url, String where) {
        if (url != null && "s3".equals(url.getScheme())) {
            S3Location location = S3Location.parse(url.toString(), where);
            if (!isArchive(location.key())) {
                throw new ValidationException(where + " " + url + " must be a .tar.gz archive");
            }
        } else if (url != null) {
            locate(url, where);
        }
    }

    /** The local folder or archive {@code url} names, checked to exist and be of a usable kind. */
    private static Path locate(URI url, String where) {
        if (!"file".equals(url.getScheme())) {
            throw new ValidationException(where + " " + url + ": model data must be a file: path or an s3:// archive");
        }
        Path path = Path.of(url);
        if (Files.isDirectory(path)) {
            return path;
        }
        if (!Files.isRegularFile(path)) {
            throw new ValidationException(where + " " + path + " does not exist");
        }
        String name = path.getFileName().toString();
        if (!isArchive(name)) {
            throw new ValidationException(where + " " + path + " must be a folder or a .tar.gz archive");
        }
        return path;
    }

    private static boolean isArchive(String name) {
        return name.endsWith(".tar.gz") || name.endsWith(".tgz");
    }

    private static String contentKey(Path archive) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(archive, BasicFileAttributes.class);
        return key(
                archive.getFileName().toString(),
                archive.toAbsolutePath() + "|" + attributes.size() + "|"
                        + attributes.lastModifiedTime().toMillis());
    }

    /** A folder name for one content of an archive: its stem and a digest of its identity. */
    private static String key(String archiveName, String identity) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(identity.getBytes(StandardCharsets.UTF_8));
            String stem = archiveName.replaceAll("\\.(tar\\.gz|tgz)$", "");
            return stem + "-" + HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
