package dev.tandem.kubernetes.resources;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Kubernetes object names for SageMaker names. SageMaker's names may hold capitals (and a feature
 * group's, underscores), which Kubernetes names may not: such a name is lower-cased, its
 * underscores become dashes, and a hash of the original is appended, so that {@code MyModel} and
 * {@code mymodel} — two models to SageMaker — stay two objects. A name that is already valid is
 * used as it is, which keeps {@code kubectl get} readable for the common case.
 */
public final class ResourceNames {
    /** The API group of Tandem's custom resources. */
    public static final String GROUP = "sagemaker.tandem.dev";

    public static final String VERSION = "v1";

    private ResourceNames() {}

    /** The object name that holds the SageMaker resource {@code name}. */
    public static String objectName(String name) {
        String plain = name.toLowerCase(Locale.ROOT).replace('_', '-');
        if (plain.equals(name)) {
            return name;
        }
        return plain + "-" + HexFormat.of().formatHex(sha256(name), 0, 4);
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
