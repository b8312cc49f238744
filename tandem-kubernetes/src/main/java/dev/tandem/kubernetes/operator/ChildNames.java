package dev.tandem.kubernetes.operator;

import dev.tandem.kubernetes.resources.ResourceNames;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Names of what the operator creates for an endpoint: DNS labels of at most {@code max} characters
 * that start with a letter (a Service's name must), made of the endpoint's and variant's names
 * where they fit, and shortened with a hash of the whole where they do not — so that two endpoints
 * never share one.
 */
public final class ChildNames {
    /** A pod's name adds about 17 characters to its Deployment's, within a label's 63. */
    static final int DEPLOYMENT = 46;

    static final int LABEL = 63;

    private ChildNames() {}

    /**
     * The Service of variant {@code variantName} of endpoint {@code endpointName} (SageMaker's
     * names): where the variant's ready instances are published, for the gateways to find.
     */
    public static String service(String endpointName, String variantName) {
        return of(
                LABEL,
                of(LABEL, ResourceNames.objectName(endpointName)),
                of(LABEL, ResourceNames.objectName(variantName)));
    }

    static String of(int max, String... parts) {
        String joined = String.join("-", parts);
        String name = Character.isLetter(joined.charAt(0)) ? joined : "sm-" + joined;
        if (name.length() <= max) {
            return name;
        }
        String hash = hash(joined, 8);
        String head = name.substring(0, max - hash.length() - 1);
        while (head.endsWith("-")) {
            head = head.substring(0, head.length() - 1);
        }
        return head + "-" + hash;
    }

    /** The first {@code digits} hexadecimal digits of the SHA-256 of {@code text}. */
    static String hash(String text, int digits) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, digits);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
