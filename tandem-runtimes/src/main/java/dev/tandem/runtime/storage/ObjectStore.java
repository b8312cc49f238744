package dev.tandem.runtime.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Objects in an S3-compatible store through the AWS SDK for Java v2. The client is built on first
 * use, so a server that never touches {@code s3://} needs no credentials.
 */
public final class ObjectStore implements AutoCloseable {
    private final S3Settings settings;
    private @Nullable S3Client client;

    public ObjectStore(S3Settings settings) {
        this.settings = settings;
    }

    /** An object's identity for caching: its size and ETag. */
    public record ObjectInfo(S3Location location, long size, String etag) {}

    public ObjectInfo head(S3Location location) {
        try {
            HeadObjectResponse head =
                    client().headObject(r -> r.bucket(location.bucket()).key(location.key()));
            return new ObjectInfo(location, head.contentLength(), String.valueOf(head.eTag()));
        } catch (NoSuchKeyException e) {
            throw new StorageException(location + " does not exist", e);
        } catch (SdkException e) {
            throw new StorageException("cannot read " + location + ": " + e.getMessage(), e);
        }
    }

    public boolean exists(S3Location location) {
        try {
            head(location);
            return true;
        } catch (StorageException e) {
            if (e.getCause() instanceof NoSuchKeyException
                    || (e.getCause() instanceof software.amazon.awssdk.services.s3.model.S3Exception s3
                            && s3.statusCode() == 404)) {
                return false;
            }
            throw e;
        }
    }

    /** Every object whose key starts with {@code prefix}'s key, in key order. */
    public List<ObjectInfo> list(S3Location prefix) {
        List<ObjectInfo> objects = new ArrayList<>();
        try {
            ListObjectsV2Request.Builder request =
                    ListObjectsV2Request.builder().bucket(prefix.bucket()).prefix(prefix.key());
            ListObjectsV2Response page;
            do {
                page = client().listObjectsV2(request.build());
                for (S3Object object : page.contents()) {
                    if (!object.key().endsWith("/")) {
                        objects.add(new ObjectInfo(
                                new S3Location(prefix.bucket(), object.key()), object.size(), object.eTag()));
                    }
                }
                request.continuationToken(page.nextContinuationToken());
            } while (Boolean.TRUE.equals(page.isTruncated()));
        } catch (SdkException e) {
            throw new StorageException("cannot list " + prefix + ": " + e.getMessage(), e);
        }
        return objects;
    }

    /** The object's bytes as a stream; close it when done. */
    public InputStream open(S3Location location) {
        try {
            return client().getObject(r -> r.bucket(location.bucket()).key(location.key()));
        } catch (NoSuchKeyException e) {
            throw new StorageException(location + " does not exist", e);
        } catch (SdkException e) {
            throw new StorageException("cannot read " + location + ": " + e.getMessage(), e);
        }
    }

    /** Downloads an object to {@code target}, through a temporary file beside it. */
    public void download(S3Location location, Path target) {
        try {
            Path partial = Files.createTempFile(target.getParent(), ".download-", ".partial");
            try (InputStream in = open(location)) {
                Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
                Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(partial);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot download " + location, e);
        }
    }

    public void upload(Path file, S3Location location) {
        upload(RequestBody.fromFile(file), location, null);
    }

    /** Writes {@code file} as one object of type {@code contentType} (none when null). */
    public void upload(Path file, S3Location location, @Nullable String contentType) {
        upload(RequestBody.fromFile(file), location, contentType);
    }

    /** Writes {@code bytes} as one object of type {@code contentType} (none when null). */
    public void put(byte[] bytes, S3Location location, @Nullable String contentType) {
        upload(RequestBody.fromBytes(bytes), location, contentType);
    }

    private void upload(RequestBody body, S3Location location, @Nullable String contentType) {
        try {
            client().putObject(
                            r -> {
                                r.bucket(location.bucket()).key(location.key());
                                if (contentType != null) {
                                    r.contentType(contentType);
                                }
                            },
                            body);
        } catch (SdkException e) {
            throw new StorageException("cannot write " + location + ": " + e.getMessage(), e);
        }
    }

    public void delete(S3Location location) {
        try {
            client().deleteObject(r -> r.bucket(location.bucket()).key(location.key()));
        } catch (SdkException e) {
            throw new StorageException("cannot delete " + location + ": " + e.getMessage(), e);
        }
    }

    private synchronized S3Client client() {
        if (client == null) {
            S3ClientBuilder builder = S3Client.builder()
                    .httpClient(UrlConnectionHttpClient.create())
                    .region(Region.of(settings.region()))
                    .forcePathStyle(settings.pathStyle());
            if (settings.endpoint() != null) {
                // Stores other than AWS S3 (MinIO, S3Proxy, ...) may not take the SDK's default
                // trailing checksums on uploads: send checksums only where S3 requires them.
                builder.endpointOverride(settings.endpoint())
                        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
            }
            builder.credentialsProvider(
                    settings.accessKeyId() != null && settings.secretAccessKey() != null
                            ? StaticCredentialsProvider.create(
                                    AwsBasicCredentials.create(settings.accessKeyId(), settings.secretAccessKey()))
                            : DefaultCredentialsProvider.builder().build());
            client = builder.build();
        }
        return client;
    }

    @Override
    public synchronized void close() {
        if (client != null) {
            client.close();
        }
    }

    /** The store refused or failed an operation; the message names the object. */
    public static final class StorageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        StorageException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
