package dev.tandem.runtime.storage;

import dev.tandem.core.error.ValidationException;
import java.net.URI;

/** An object, or a key prefix, in an S3-compatible store: {@code s3://bucket/key}. */
public record S3Location(String bucket, String key) {

    public static boolean isS3(String text) {
        return text.startsWith("s3://");
    }

    /** Reads {@code s3://bucket/key}; {@code member} names where it came from, for the error. */
    public static S3Location parse(String text, String member) {
        URI uri;
        try {
            uri = URI.create(text);
        } catch (IllegalArgumentException e) {
            throw new ValidationException(member + " " + text + " is not a valid s3:// URI.");
        }
        String bucket = uri.getHost() != null ? uri.getHost() : uri.getAuthority();
        if (!"s3".equals(uri.getScheme()) || bucket == null || bucket.isEmpty()) {
            throw new ValidationException(member + " " + text + " must look like s3://bucket/key.");
        }
        String path = uri.getPath() == null ? "" : uri.getPath();
        return new S3Location(bucket, path.startsWith("/") ? path.substring(1) : path);
    }

    public S3Location child(String name) {
        return new S3Location(bucket, key.isEmpty() || key.endsWith("/") ? key + name : key + "/" + name);
    }

    @Override
    public String toString() {
        return "s3://" + bucket + "/" + key;
    }
}
