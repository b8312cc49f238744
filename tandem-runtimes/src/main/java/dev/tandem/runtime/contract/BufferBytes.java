package dev.tandem.runtime.contract;

import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

/**
 * A body read into a Vert.x buffer, as the array a {@link dev.tandem.core.stage.Payload} wraps —
 * without copying it when the buffer's own array holds exactly the body. That is the case whenever
 * the body's length was declared ({@code Content-Length}) and the buffer was allocated to it, as
 * the server and the contract client do: the body then crosses Tandem as the array it was read
 * into. Otherwise (a chunked body, a buffer that grew) the bytes are copied out once.
 */
public final class BufferBytes {
    private BufferBytes() {}

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
