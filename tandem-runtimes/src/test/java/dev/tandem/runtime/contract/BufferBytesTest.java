package dev.tandem.runtime.contract;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class BufferBytesTest {
    @Test
    void aBodyReadIntoABufferOfItsDeclaredLengthIsHandedOverWithoutACopy() {
        byte[] sent = "1,2,3\n4,5,6\n".getBytes(StandardCharsets.UTF_8);
        Buffer body = Buffer.buffer(sent.length);
        // Read as it arrives, in chunks.
        body.appendBuffer(Buffer.buffer().appendBytes(sent, 0, 5));
        body.appendBuffer(Buffer.buffer().appendBytes(sent, 5, sent.length - 5));

        byte[] bytes = BufferBytes.of(body);

        assertThat(bytes).isEqualTo(sent);
        assertThat(bytes).isSameAs(((BufferInternal) body).getByteBuf().array());
    }

    @Test
    void aBufferWithRoomToSpareIsCopiedToExactlyItsBytes() {
        Buffer body = Buffer.buffer(1024).appendString("chunked");

        byte[] bytes = BufferBytes.of(body);

        assertThat(bytes).isEqualTo("chunked".getBytes(StandardCharsets.UTF_8));
        assertThat(bytes).isNotSameAs(((BufferInternal) body).getByteBuf().array());
    }
}
