package dev.tandem.server.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.core.stage.Payload;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import org.jspecify.annotations.Nullable;

/**
 * AWS's event-stream framing ({@code application/vnd.amazon.eventstream}), as
 * InvokeEndpointWithResponseStream answers in it. Each message is {@code total length (u32) |
 * headers length (u32) | CRC32 of those 8 bytes | headers | payload | CRC32 of all before}; a
 * header is {@code name length (u8) | name | type (u8) | value}, here always type 7, a string
 * with a u16 length. The SDKs check both checksums and refuse a message whose CRCs are wrong.
 */
public final class EventStream {
    public static final String CONTENT_TYPE = "application/vnd.amazon.eventstream";
    /** The most one PayloadPart carries: larger parts are split (the SDKs take up to 24 MiB). */
    static final int MAX_PART_BYTES = 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte STRING = 7;
    /** The headers of every PayloadPart, encoded once. */
    private static final byte[] PAYLOAD_PART_HEADERS = headers(Map.of(
            ":message-type", "event",
            ":event-type", "PayloadPart",
            ":content-type", "application/octet-stream"));

    private EventStream() {}

    /**
     * A PayloadPart carrying {@code bytes[offset, offset + length)}: the bytes are not copied, the
     * message is the part between a prelude and a checksum.
     */
    public static Buffer payloadPart(byte[] bytes, int offset, int length) {
        ByteBuf payload = Unpooled.wrappedBuffer(bytes, offset, length);
        return message(PAYLOAD_PART_HEADERS, payload);
    }

    /** Messages as one buffer, for one write: their bytes are not copied. */
    static Buffer concat(List<Buffer> messages) {
        ByteBuf[] parts = new ByteBuf[messages.size()];
        for (int i = 0; i < parts.length; i++) {
            parts[i] = ((BufferInternal) messages.get(i)).getByteBuf();
        }
        return BufferInternal.buffer(Unpooled.wrappedBuffer(parts));
    }

    /**
     * A {@code ModelStreamError}: the model's stream broke ({@code StreamBroken}) or went silent past
     * its limit ({@code ModelInvocationTimeExceeded}).
     */
    public static Buffer modelStreamError(String errorCode, String message) {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("Message", message);
        body.put("ErrorCode", errorCode);
        return exception("ModelStreamError", body);
    }

    /** An {@code InternalStreamFailure}: Tandem itself failed mid-stream. */
    public static Buffer internalStreamFailure(String message) {
        return exception("InternalStreamFailure", Map.of("Message", message));
    }

    /** One message read back: its headers (strings) and payload. */
    public record Message(Map<String, String> headers, Payload payload) {
        public @Nullable String header(String name) {
            return headers.get(name);
        }
    }

    /**
     * The next message of {@code in}, both checksums checked; null at the end of the stream.
     *
     * @throws IOException when the stream ends inside a message or a checksum is wrong
     */
    public static @Nullable Message read(DataInputStream in) throws IOException {
        int first = in.read();
        if (first < 0) {
            return null;
        }
        byte[] prelude = new byte[12];
        prelude[0] = (byte) first;
        in.readFully(prelude, 1, 11);
        ByteBuffer head = ByteBuffer.wrap(prelude);
        int total = head.getInt();
        int headersLength = head.getInt();
        CRC32 crc = new CRC32();
        crc.update(prelude, 0, 8);
        if (head.getInt() != (int) crc.getValue() || total < 16 || headersLength < 0 || headersLength > total - 16) {
            throw new IOException("not an event-stream message: its prelude's checksum or lengths are wrong");
        }
        byte[] rest = new byte[total - 12];
        in.readFully(rest);
        crc.reset();
        crc.update(prelude);
        crc.update(rest, 0, rest.length - 4);
        if (ByteBuffer.wrap(rest, rest.length - 4, 4).getInt() != (int) crc.getValue()) {
            throw new IOException("an event-stream message's checksum is wrong");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        ByteBuffer fields = ByteBuffer.wrap(rest, 0, headersLength);
        while (fields.hasRemaining()) {
            byte[] name = new byte[fields.get() & 0xff];
            fields.get(name);
            if (fields.get() != STRING) {
                throw new IOException("an event-stream header that is not a string");
            }
            byte[] value = new byte[fields.getShort() & 0xffff];
            fields.get(value);
            headers.put(new String(name, StandardCharsets.UTF_8), new String(value, StandardCharsets.UTF_8));
        }
        return new Message(headers, Payload.wrap(Arrays.copyOfRange(rest, headersLength, rest.length - 4)));
    }

    private static Buffer exception(String type, Map<String, String> body) {
        byte[] headers = headers(Map.of(
                ":message-type", "exception",
                ":exception-type", type,
                ":content-type", "application/json"));
        try {
            return message(headers, Unpooled.wrappedBuffer(JSON.writeValueAsBytes(body)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a map of strings is JSON", e);
        }
    }

    private static Buffer message(byte[] headers, ByteBuf payload) {
        int total = 12 + headers.length + payload.readableBytes() + 4;
        ByteBuf prelude = Unpooled.buffer(12 + headers.length);
        prelude.writeInt(total).writeInt(headers.length);
        CRC32 crc = new CRC32();
        crc.update(prelude.nioBuffer(0, 8));
        prelude.writeInt((int) crc.getValue());
        prelude.writeBytes(headers);
        CRC32 messageCrc = new CRC32();
        messageCrc.update(prelude.nioBuffer());
        messageCrc.update(payload.nioBuffer());
        ByteBuf trailer = Unpooled.buffer(4).writeInt((int) messageCrc.getValue());
        return BufferInternal.buffer(Unpooled.wrappedBuffer(prelude, payload, trailer));
    }

    /** Headers, each a string, in the map's order. */
    private static byte[] headers(Map<String, String> headers) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // Map.of has no order; the SDKs read headers by name, so any order is valid.
        headers.forEach((name, value) -> {
            byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
            byte[] valueBytes = value.getBytes(StandardCharsets.UTF_8);
            out.write(nameBytes.length);
            out.writeBytes(nameBytes);
            out.write(STRING);
            out.write(valueBytes.length >> 8);
            out.write(valueBytes.length & 0xff);
            out.writeBytes(valueBytes);
        });
        return out.toByteArray();
    }
}
