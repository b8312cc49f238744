package dev.tandem.it.support;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * Reads AWS event-stream messages off a stream, checking both checksums of each, as the SDKs do:
 * for tests that read an answer at their own pace, or look at the bytes the SDKs hide. Written
 * apart from the server's own reader on purpose: the server's framing is checked against an
 * independent reading of the format, not against itself.
 */
public final class EventStreamReader {
    /** One message: its string headers and its payload. */
    public record Message(Map<String, String> headers, byte[] payload) {
        public String header(String name) {
            return headers.get(name);
        }

        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    private final DataInputStream in;

    public EventStreamReader(InputStream in) {
        this.in = new DataInputStream(in);
    }

    /** The next message, or null at the end of the stream. */
    public Message next() throws IOException {
        byte[] prelude = new byte[12];
        int first = in.read();
        if (first < 0) {
            return null;
        }
        prelude[0] = (byte) first;
        in.readFully(prelude, 1, 11);
        ByteBuffer head = ByteBuffer.wrap(prelude);
        int total = head.getInt();
        int headersLength = head.getInt();
        int preludeCrc = head.getInt();
        if (preludeCrc != crc(prelude, 0, 8)) {
            throw new IOException("prelude checksum wrong");
        }
        byte[] rest = new byte[total - 12];
        in.readFully(rest);
        CRC32 crc = new CRC32();
        crc.update(prelude);
        crc.update(rest, 0, rest.length - 4);
        if ((int) crc.getValue() != ByteBuffer.wrap(rest, rest.length - 4, 4).getInt()) {
            throw new IOException("message checksum wrong");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        ByteBuffer h = ByteBuffer.wrap(rest, 0, headersLength);
        while (h.hasRemaining()) {
            byte[] name = new byte[h.get() & 0xff];
            h.get(name);
            if (h.get() != 7) {
                throw new IOException("only string headers expected");
            }
            byte[] value = new byte[h.getShort() & 0xffff];
            h.get(value);
            headers.put(new String(name, StandardCharsets.UTF_8), new String(value, StandardCharsets.UTF_8));
        }
        byte[] payload = new byte[total - 12 - headersLength - 4];
        System.arraycopy(rest, headersLength, payload, 0, payload.length);
        return new Message(headers, payload);
    }

    private static int crc(byte[] bytes, int offset, int length) {
        CRC32 crc = new CRC32();
        crc.update(bytes, offset, length);
        return (int) crc.getValue();
    }
}
