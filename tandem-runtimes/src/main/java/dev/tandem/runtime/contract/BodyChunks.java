package dev.tandem.runtime.contract;

import dev.tandem.core.stage.Payload;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A body arriving in chunks, kept as those chunks. Vert.x hands each chunk over as a heap buffer of
 * its own, sized to it; its array becomes a piece of the {@link Payload} as it is, so a body is
 * never gathered into a second buffer on its way in: one that came in one read (most small ones —
 * a 512-byte request comes with its head) is that read's array, and a large one is passed on to
 * the next container in its pieces.
 */
public final class BodyChunks {
    private final List<byte[]> pieces = new ArrayList<>(2);
    private long length;

    public void add(Buffer chunk) {
        if (chunk.length() > 0) {
            pieces.add(BufferBytes.of(chunk));
            length += chunk.length();
        }
    }

    /** The bytes added so far. */
    public long length() {
        return length;
    }

    /** The body, in the pieces it came in. */
    public Payload payload() {
        return Payload.ofPieces(pieces);
    }
}
