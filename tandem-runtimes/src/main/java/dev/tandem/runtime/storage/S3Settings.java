package dev.tandem.runtime.storage;

import java.io.Serializable;
import java.net.URI;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * How to reach the S3-compatible store: AWS S3 by default, or any other (MinIO, S3Proxy, ...)
 * through {@code endpoint}, usually with path-style addressing. Credentials come from the AWS
 * SDK's default chain ({@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}, profiles, instance
 * roles) unless given here.
 */
public record S3Settings(
        @Nullable URI endpoint,
        String region,
        boolean pathStyle,
        @Nullable String accessKeyId,
        @Nullable String secretAccessKey)
        implements Serializable {
    private static final long serialVersionUID = 1L;

    /**
     * From the standard variables: {@code AWS_ENDPOINT_URL_S3} (else {@code AWS_ENDPOINT_URL}),
     * {@code AWS_REGION} (else {@code AWS_DEFAULT_REGION}, else us-east-1) and Tandem's {@code
     * TANDEM_S3_PATH_STYLE} (true by default when an endpoint is set).
     */
    public static S3Settings fromEnvironment(Map<String, String> environment) {
        String endpoint = environment.getOrDefault("AWS_ENDPOINT_URL_S3", environment.get("AWS_ENDPOINT_URL"));
        String region =
                environment.getOrDefault("AWS_REGION", environment.getOrDefault("AWS_DEFAULT_REGION", "us-east-1"));
        boolean pathStyle = Boolean.parseBoolean(
                environment.getOrDefault("TANDEM_S3_PATH_STYLE", Boolean.toString(endpoint != null)));
        return new S3Settings(endpoint == null ? null : URI.create(endpoint), region, pathStyle, null, null);
    }

    /** Without the secret key, which would otherwise end up in logs and error messages. */
    @Override
    public String toString() {
        return "S3Settings[endpoint=" + endpoint + ", region=" + region + ", pathStyle=" + pathStyle + ", accessKeyId="
                + accessKeyId + "]";
    }

    public static S3Settings defaults() {
        return new S3Settings(null, "us-east-1", false, null, null);
    }

    /** A store at {@code endpoint} with these static credentials, path-style: MinIO, S3Proxy, tests. */
    public static S3Settings at(URI endpoint, String accessKeyId, String secretAccessKey) {
        return new S3Settings(endpoint, "us-east-1", true, accessKeyId, secretAccessKey);
    }
}
