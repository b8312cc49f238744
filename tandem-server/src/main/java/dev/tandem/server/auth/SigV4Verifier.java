package dev.tandem.server.auth;

import dev.tandem.core.stage.Payload;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * Checks AWS Signature Version 4 on requests, as the AWS SDKs, boto3 and the AWS CLI sign them:
 * recomputes the signature from the canonical request with the secret of the access key the
 * request names, and compares. Requests dated more than 15 minutes from now are refused, as AWS
 * refuses them.
 */
public final class SigV4Verifier {
    private static final Pattern AUTHORIZATION = Pattern.compile(
            "AWS4-HMAC-SHA256\\s+Credential=([^/,\\s]+)/(\\d{8})/([^/,\\s]+)/([^/,\\s]+)/aws4_request,\\s*"
                    + "SignedHeaders=([^,\\s]+),\\s*Signature=([0-9a-f]{64})");
    private static final DateTimeFormatter AMZ_DATE =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final Duration MAX_SKEW = Duration.ofMinutes(15);

    private final Map<String, String> secrets;
    private final Clock clock;

    /**
     * Creates a verifier for the given keys.
     *
     * @param secrets secret access key by access key id
     */
    public SigV4Verifier(Map<String, String> secrets, Clock clock) {
        this.secrets = Map.copyOf(secrets);
        this.clock = clock;
    }

    /** One request as received: what the signature covers. */
    public record SignedRequest(
            String method, String rawPath, @Nullable String rawQuery, Function<String, List<String>> headers) {}

    /**
     * Checks the signature of {@code request} with body {@code body}.
     *
     * @throws AuthenticationException when the request is not signed by a known key, or its
     *     signature does not match
     */
    public void verify(SignedRequest request, Payload body) {
        String authorization = first(request, "authorization");
        if (authorization == null) {
            throw new AuthenticationException(
                    "MissingAuthenticationTokenException", "Request is missing Authentication Token");
        }
        Matcher auth = AUTHORIZATION.matcher(authorization.trim());
        if (!auth.matches()) {
            throw new AuthenticationException(
                    "IncompleteSignatureException",
                    "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' in AWS4-HMAC-SHA256 form.");
        }
        String accessKey = auth.group(1);
        String secret = secrets.get(accessKey);
        if (secret == null) {
            throw new AuthenticationException(
                    "UnrecognizedClientException", "The security token included in the request is invalid.");
        }
        String amzDate = first(request, "x-amz-date");
        if (amzDate == null) {
            throw new AuthenticationException(
                    "IncompleteSignatureException", "Request is missing the X-Amz-Date header.");
        }
        Instant signedAt;
        try {
            signedAt = AMZ_DATE.parse(amzDate, Instant::from);
        } catch (DateTimeParseException e) {
            throw new AuthenticationException(
                    "IncompleteSignatureException", "X-Amz-Date '" + amzDate + "' is not a date.");
        }
        Instant now = clock.instant();
        if (Duration.between(signedAt, now).abs().compareTo(MAX_SKEW) > 0) {
            throw new AuthenticationException(
                    "InvalidSignatureException",
                    "Signature expired: " + amzDate + " is now earlier than " + AMZ_DATE.format(now.minus(MAX_SKEW))
                            + " (" + AMZ_DATE.format(now) + " - 15 min.)");
        }
        String scope = auth.group(2) + "/" + auth.group(3) + "/" + auth.group(4) + "/aws4_request";
        String canonical = canonicalRequest(request, body, auth.group(5));
        String toSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n"
                + hex(sha256(canonical.getBytes(StandardCharsets.UTF_8)));
        byte[] key = hmac(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), auth.group(2));
        key = hmac(key, auth.group(3));
        key = hmac(key, auth.group(4));
        key = hmac(key, "aws4_request");
        String expected = hex(hmac(key, toSign));
        if (!MessageDigest.isEqual(
                expected.getBytes(StandardCharsets.US_ASCII), auth.group(6).getBytes(StandardCharsets.US_ASCII))) {
            throw new AuthenticationException(
                    "InvalidSignatureException",
                    "The request signature we calculated does not match the signature you provided. Check your AWS"
                            + " Secret Access Key and signing method.");
        }
    }

    private static String canonicalRequest(SignedRequest request, Payload body, String signedHeaders) {
        StringBuilder canonical = new StringBuilder();
        canonical.append(request.method()).append('\n');
        canonical.append(canonicalPath(request.rawPath())).append('\n');
        canonical.append(canonicalQuery(request.rawQuery())).append('\n');
        for (String name : signedHeaders.split(";", -1)) {
            List<String> values = request.headers().apply(name);
            List<String> trimmed = new ArrayList<>();
            for (String value : values) {
                trimmed.add(value.trim().replaceAll("\\s+", " "));
            }
            canonical.append(name).append(':').append(String.join(",", trimmed)).append('\n');
        }
        canonical.append('\n').append(signedHeaders).append('\n');
        String declared = first(request, "x-amz-content-sha256");
        String payloadHash = hex(sha256(body));
        if (declared != null && !declared.equals("UNSIGNED-PAYLOAD") && !declared.equals(payloadHash)) {
            throw new AuthenticationException(
                    "InvalidSignatureException", "The provided x-amz-content-sha256 header does not match the body.");
        }
        canonical.append(declared != null ? declared : payloadHash);
        return canonical.toString();
    }

    /** Services other than S3 encode each path segment twice: once on the wire, once here. */
    private static String canonicalPath(String rawPath) {
        if (rawPath.isEmpty()) {
            return "/";
        }
        String[] segments = rawPath.split("/", -1);
        List<String> encoded = new ArrayList<>(segments.length);
        for (String segment : segments) {
            encoded.add(encode(segment));
        }
        return String.join("/", encoded);
    }

    private static String canonicalQuery(@Nullable String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return "";
        }
        List<String[]> pairs = new ArrayList<>();
        for (String pair : rawQuery.split("&", -1)) {
            int equals = pair.indexOf('=');
            String key = URLDecoder.decode(equals < 0 ? pair : pair.substring(0, equals), StandardCharsets.UTF_8);
            String value = equals < 0 ? "" : URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
            pairs.add(new String[] {encode(key), encode(value)});
        }
        pairs.sort((a, b) -> a[0].equals(b[0]) ? a[1].compareTo(b[1]) : a[0].compareTo(b[0]));
        List<String> joined = new ArrayList<>();
        for (String[] pair : pairs) {
            joined.add(pair[0] + "=" + pair[1]);
        }
        return String.join("&", joined);
    }

    /** RFC 3986 percent-encoding: everything but unreserved characters. */
    private static String encode(String text) {
        StringBuilder out = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xFF);
            if ((c >= 'A' && c <= 'Z')
                    || (c >= 'a' && c <= 'z')
                    || (c >= '0' && c <= '9')
                    || c == '-'
                    || c == '_'
                    || c == '.'
                    || c == '~') {
                out.append(c);
            } else {
                out.append('%').append(String.format(Locale.ROOT, "%02X", b & 0xFF));
            }
        }
        return out.toString();
    }

    private static @Nullable String first(SignedRequest request, String header) {
        List<String> values = request.headers().apply(header);
        return values.isEmpty() ? null : values.get(0);
    }

    /** The SHA-256 of a body, piece by piece as it is held. */
    private static byte[] sha256(Payload body) {
        MessageDigest digest = sha256();
        for (byte[] piece : body.unsafePieces()) {
            digest.update(piece);
        }
        return digest.digest();
    }

    private static byte[] sha256(byte[] bytes) {
        return sha256().digest(bytes);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
