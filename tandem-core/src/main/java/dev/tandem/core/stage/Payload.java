package dev.tandem.core.stage;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The bytes of a request or response body as they travel between stages: in memory — as one array,
 * or as the pieces it arrived in — or spooled in a file when they are too large to hold (an
 * asynchronous invocation's input of up to 1 GB).
 *
 * <p>A body read from a socket comes in pieces (up to 64 KB each); kept as those pieces it is
 * passed on to the next container, or back to the client, without ever being joined. An
 * in-process stage that asks for the bytes as one array gets them joined once.
 *
 * <p>A payload is immutable by contract: whoever creates one from an array hands that array
 * over and must not change it afterwards, and {@link #unsafeArray()} must never be written to.
 * That contract lets a body cross a whole pipeline without being copied. A spooled payload's file
 * belongs to whoever spooled it, who deletes it once the invocation is over; containers reached
 * over HTTP get it streamed from the file, while an in-process stage that asks for the bytes
 * reads them into memory.
 */
public final class Payload {
    private static final Payload EMPTY = new Payload(new byte[0], null, null, 0);

    private final byte @Nullable [] bytes;
    private final @Nullable List<byte[]> pieces;
    private final @Nullable Path file;
    private final int size;
    /** The pieces joined, once someone asked for one array. */
    private volatile byte @Nullable [] joined;

    private Payload(byte @Nullable [] bytes, @Nullable List<byte[]> pieces, @Nullable Path file, int size) {
        this.bytes = bytes;
        this.pieces = pieces;
        this.file = file;
        this.size = size;
    }

    /** Wraps {@code bytes} without copying; the caller gives up the right to modify the array. */
    public static Payload wrap(byte[] bytes) {
        return bytes.length == 0 ? EMPTY : new Payload(bytes, null, null, bytes.length);
    }

    /**
     * The body made of {@code pieces}, in order, without copying them; the caller gives up the right
     * to modify them.
     *
     * @throws IllegalArgumentException when they hold more than 2 GB
     */
    public static Payload ofPieces(List<byte[]> pieces) {
        if (pieces.size() == 1) {
            return wrap(pieces.get(0));
        }
        long size = 0;
        for (byte[] piece : pieces) {
            size += piece.length;
        }
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a payload holds 0 to 2 GB, got " + size + " bytes");
        }
        return size == 0 ? EMPTY : new Payload(null, List.copyOf(pieces), null, (int) size);
    }

    /**
     * A body held in {@code file}, of {@code size} bytes; the file must not change while the payload
     * is in use.
     *
     * @throws IllegalArgumentException when {@code size} is negative or past 2 GB
     */
    public static Payload spooled(Path file, long size) {
        Objects.requireNonNull(file, "file");
        if (size < 0 || size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a payload holds 0 to 2 GB, got " + size + " bytes");
        }
        return new Payload(null, null, file, (int) size);
    }

    public static Payload utf8(String text) {
        return wrap(text.getBytes(StandardCharsets.UTF_8));
    }

    public static Payload empty() {
        return EMPTY;
    }

    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    /** The file a spooled payload is held in; empty for a payload in memory. */
    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    /**
     * The backing array, for zero-copy hand-off to an output; it must not be modified. A payload in
     * pieces is joined into one array on the first call; a spooled payload is read into a new array
     * on every call.
     */
    public byte[] unsafeArray() {
        if (bytes != null) {
            return bytes;
        }
        if (pieces != null) {
            byte[] whole = joined;
            if (whole == null) {
                whole = join(pieces, size);
                joined = whole;
            }
            return whole;
        }
        try {
            return Files.readAllBytes(spoolFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read spooled payload " + file, e);
        }
    }

    /**
     * The body as the arrays it is held in, in order, for writing it out without joining them; they
     * must not be modified. One array for a body held whole; a spooled payload is read into one.
     */
    public List<byte[]> unsafePieces() {
        return pieces != null ? pieces : List.of(unsafeArray());
    }

    /** A copy of the bytes, safe to modify. */
    public byte[] toByteArray() {
        if (bytes != null) {
            return bytes.clone();
        }
        return pieces != null ? join(pieces, size) : unsafeArray();
    }

    private static byte[] join(List<byte[]> pieces, int size) {
        byte[] whole = new byte[size];
        int at = 0;
        for (byte[] piece : pieces) {
            System.arraycopy(piece, 0, whole, at, piece.length);
            at += piece.length;
        }
        return whole;
    }

    public InputStream openStream() {
        if (bytes != null || pieces != null) {
            return new ByteArrayInputStream(unsafeArray());
        }
        try {
            return Files.newInputStream(spoolFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read spooled payload " + file, e);
        }
    }

    public String asUtf8() {
        return new String(unsafeArray(), StandardCharsets.UTF_8);
    }

    /** At most {@code maxChars} characters of the body as text, for error messages and logs. */
    public String preview(int maxChars) {
        byte[] head;
        if (bytes != null || pieces != null) {
            head = unsafeArray();
        } else {
            try (InputStream in = openStream()) {
                head = in.readNBytes(maxChars * 4);
            } catch (IOException e) {
                return "(unreadable: " + e.getMessage() + ")";
            }
        }
        String text = new String(head, 0, Math.min(head.length, maxChars * 4), StandardCharsets.UTF_8);
        return text.length() <= maxChars ? text : text.substring(0, maxChars);
    }

    private Path spoolFile() {
        return Objects.requireNonNull(file, "file");
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof Payload that)) {
            return false;
        }
        if (file != null || that.file != null) {
            return Objects.equals(file, that.file) && size == that.size;
        }
        return Arrays.equals(unsafeArray(), that.unsafeArray());
    }

    @Override
    public int hashCode() {
        return file != null ? file.hashCode() : Arrays.hashCode(unsafeArray());
    }

    @Override
    public String toString() {
        return file != null ? "Payload[" + size + " bytes in " + file + "]" : "Payload[" + size + " bytes]";
    }
}
