package dev.tandem.runtime.storage;

import dev.tandem.core.error.ValidationException;
import java.nio.file.Path;

/**
 * Where a transform job or an asynchronous invocation reads or writes: a local path ({@code file:/...}) or a key in an
 * S3-compatible store ({@code s3://bucket/key}). A prefix keeps its trailing slash, which S3's
 * prefix rule makes meaningful.
 */
public sealed interface Location {

    /** The location {@code name} below this one, as a folder. */
    default Location child(String name) {
        return switch (this) {
            case Local local ->
                new Local(local.asPath().resolve(name).normalize().toString());
            case Remote remote -> new Remote(remote.object().child(name));
        };
    }

    /** {@code file:/a/b} or {@code file:///a/b}: an absolute local path. */
    record Local(String path) implements Location {
        public Path asPath() {
            return Path.of(path);
        }

        @Override
        public String toString() {
            return "file:" + path;
        }
    }

    /** {@code s3://bucket/key}. */
    record Remote(S3Location object) implements Location {
        @Override
        public String toString() {
            return object.toString();
        }
    }

    /** Reads a location; {@code member} names where it came from, for the error. */
    static Location parse(String text, String member) {
        if (S3Location.isS3(text)) {
            return new Remote(S3Location.parse(text, member));
        }
        if (!text.startsWith("file:")) {
            throw new ValidationException(
                    member + " " + text + " must be an s3://bucket/key or a file:/absolute/path location.");
        }
        String path = text.substring("file:".length());
        if (path.startsWith("//")) {
            path = path.substring(2);
        }
        if (!path.startsWith("/")) {
            throw new ValidationException(member + " " + text + " must be an absolute path (file:/...).");
        }
        return new Local(path);
    }
}
