package dev.tandem.runtime.contract;

import dev.tandem.core.stage.Payload;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.streams.WriteStream;
import java.util.List;

/**
 * Between Vert.x buffers and the arrays a {@link Payload} holds, without copying where it can be
 * helped: a chunk Vert.x read is taken as its own array when that holds exactly its bytes (Vert.x
 * gives every chunk a heap buffer of its size; anything else is copied out once), and a payload is
 * written out as buffers over its arrays.
 */
public final class BufferBytes {
    private BufferBytes() {}

    /**
     * Writes a payload held in memory to {@code out}, all but its last piece, and returns the last
     * piece for the call that ends the stream (after which the caller sets no more headers; it sets
     * {@code Content-Length} to the payload's size before). Each piece is sent as a buffer over its
     * array, not a copy of it: Vert.x's {@code Buffer.buffer(byte[])} copies, which cost an array of
     * the body's size and a pass over it at every hop. And piece by piece, not as one composite
     * buffer: Netty copies a heap buffer into direct memory to write it, and flattens a composite
     * of heap buffers into a new array on the way — two copies instead of one. Nothing writes into
     * a buffer that is only sent.
     */
    public static Buffer writeAllButLast(WriteStream<Buffer> out, Payload body) {
        List<byte[]> pieces = body.unsafePieces();
        for (int i = 0; i < pieces.size() - 1; i++) {
            out.write(wrap(pieces.get(i)));
        }
        return wrap(pieces.get(pieces.size() - 1));
    }

    private static Buffer wrap(byte[] bytes) {
        return BufferInternal.buffer(Unpooled.wrappedBuffer(bytes));
    }

    /** The buffer's bytes; its own array when that holds exactly them, which the caller then owns. */
    public static byte[] of(Buffer buffer) {
        if (buffer instanceof BufferInternal internal) {
            ByteBuf bytes = internal.getByteBuf();
            if (bytes.hasArray()
                    && bytes.arrayOffset() == 0
                    && bytes.readerIndex() == 0
                    && bytes.array().length == buffer.length()) {
                return bytes.array();
            }
        }
        return buffer.getBytes();
    }
}
