package dev.tandem.core.stage;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The bytes of a request or response body as they travel between stages.
 *
 * <p>A payload is immutable by contract: whoever creates one from an array hands that array
 * over and must not change it afterwards, and {@link #unsafeArray()} must never be written to.
 * That contract lets a body cross a whole pipeline without being copied.
 */
public final class Payload {
    private static final Payload EMPTY = new Payload(new byte[0]);

    private final byte[] bytes;

    private Payload(byte[] bytes) {
        this.bytes = bytes;
    }

    /** Wraps {@code bytes} without copying; the caller gives up the right to modify the array. */
    public static Payload wrap(byte[] bytes) {
        return bytes.length == 0 ? EMPTY : new Payload(bytes);
    }

    public static Payload utf8(String text) {
        return wrap(text.getBytes(StandardCharsets.UTF_8));
    }

    public static Payload empty() {
        return EMPTY;
    }

    public int size() {
        return bytes.length;
    }

    public boolean isEmpty() {
        return bytes.length == 0;
    }

    /** The backing array, for zero-copy hand-off to an output; it must not be modified. */
    public byte[] unsafeArray() {
        return bytes;
    }

    /** A copy of the bytes, safe to modify. */
    public byte[] toByteArray() {
        return bytes.clone();
    }

    public InputStream openStream() {
        return new ByteArrayInputStream(bytes);
    }

    public String asUtf8() {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** At most {@code maxChars} characters of the body as text, for error messages and logs. */
    public String preview(int maxChars) {
        String text = new String(bytes, 0, Math.min(bytes.length, maxChars * 4), StandardCharsets.UTF_8);
        return text.length() <= maxChars ? text : text.substring(0, maxChars);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Payload that && Arrays.equals(bytes, that.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "Payload[" + bytes.length + " bytes]";
    }
}
