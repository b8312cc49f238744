package dev.tandem.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

class EventStreamTest {

    private static EventStream.Message readBack(Buffer message) throws IOException {
        return EventStream.read(new DataInputStream(new ByteArrayInputStream(message.getBytes())));
    }

    @Test
    void aPayloadPartCarriesItsBytesBetweenAPreludeAndAChecksum() throws IOException {
        byte[] bytes = "hello world".getBytes(StandardCharsets.UTF_8);
        Buffer message = EventStream.payloadPart(bytes, 6, 5);
        byte[] wire = message.getBytes();

        ByteBuffer prelude = ByteBuffer.wrap(wire);
        assertThat(prelude.getInt()).isEqualTo(wire.length);
        int headersLength = prelude.getInt();
        CRC32 crc = new CRC32();
        crc.update(wire, 0, 8);
        assertThat(prelude.getInt()).isEqualTo((int) crc.getValue());
        crc.reset();
        crc.update(wire, 0, wire.length - 4);
        assertThat(ByteBuffer.wrap(wire, wire.length - 4, 4).getInt()).isEqualTo((int) crc.getValue());
        assertThat(wire.length).isEqualTo(12 + headersLength + 5 + 4);

        EventStream.Message read = readBack(message);
        assertThat(read.header(":message-type")).isEqualTo("event");
        assertThat(read.header(":event-type")).isEqualTo("PayloadPart");
        assertThat(read.payload().asUtf8()).isEqualTo("world");
    }

    @Test
    void aModelStreamErrorCarriesItsCodeAndMessageAsJson() throws IOException {
        EventStream.Message read = readBack(EventStream.modelStreamError("StreamBroken", "it \"broke\""));

        assertThat(read.header(":message-type")).isEqualTo("exception");
        assertThat(read.header(":exception-type")).isEqualTo("ModelStreamError");
        assertThat(read.header(":content-type")).isEqualTo("application/json");
        assertThat(read.payload().asUtf8())
                .isEqualTo("{\"Message\":\"it \\\"broke\\\"\",\"ErrorCode\":\"StreamBroken\"}");
        assertThat(readBack(EventStream.internalStreamFailure("x")).header(":exception-type"))
                .isEqualTo("InternalStreamFailure");
    }

    @Test
    void aDamagedMessageIsRefused() {
        byte[] wire = EventStream.payloadPart(new byte[] {1, 2, 3}, 0, 3).getBytes();
        wire[wire.length - 6] ^= 1;
        assertThatThrownBy(() -> EventStream.read(new DataInputStream(new ByteArrayInputStream(wire))))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("checksum");
        byte[] truncated = java.util.Arrays.copyOf(
                EventStream.payloadPart(new byte[] {1}, 0, 1).getBytes(), 20);
        assertThatThrownBy(() -> EventStream.read(new DataInputStream(new ByteArrayInputStream(truncated))))
                .isInstanceOf(IOException.class);
    }
}
