package dev.tandem.runtime.contract;

import io.netty.util.AsciiString;
import java.util.Arrays;

/**
 * The header names one connection's peer has sent, each kept as one {@link AsciiString}. A peer on
 * a kept-alive connection sends the same few names with every message — a container {@code
 * Server}, {@code Date}, {@code Content-Type}, {@code Content-Length}; an SDK its {@code
 * X-Amz-*} and {@code User-Agent} — and Netty's decoder would make a new name (an object and a
 * copy of its bytes) for every one of them, every time, and hash it again when it goes into the
 * message's header map. A name seen before is handed out again instead, its hash already known.
 *
 * <p>One per connection's decoder, used on its event loop only. At most {@value #MAX_NAMES} names
 * are kept: a peer that keeps sending new ones gets them made as before, after a short search.
 */
public final class RepeatedHeaderNames {
    static final int MAX_NAMES = 24;

    private final AsciiString[] names = new AsciiString[MAX_NAMES];
    private int count;

    /** The name in {@code bytes[start, start + length)}, the same instance as the last time it came. */
    public AsciiString name(byte[] bytes, int start, int length) {
        for (int i = 0; i < count; i++) {
            AsciiString known = names[i];
            if (known.length() == length && Arrays.equals(known.array(), 0, length, bytes, start, start + length)) {
                return known;
            }
        }
        AsciiString name = new AsciiString(bytes, start, length, true);
        if (count < MAX_NAMES) {
            names[count++] = name;
        }
        return name;
    }
}
