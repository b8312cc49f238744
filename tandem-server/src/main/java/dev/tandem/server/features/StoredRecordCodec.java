package dev.tandem.server.features;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * How the online stores keep a {@link StoredRecord}: a compact binary form, because a lookup
 * decodes a record on every read and JSON made that most of a GetRecord's time (a tree parse of a
 * ten-feature record cost more than the store's own read).
 *
 * <p>Layout: the format byte {@code 1}; the event time in epoch milliseconds (8 bytes); flags (bit 0:
 * an expiry follows, 8 bytes; bit 1: soft-deleted); the number of features (4 bytes); per feature its
 * name, a kind byte (0: one value, 1: a list) and the value, or the list's size and its values;
 * strings as a 4-byte length and UTF-8.
 *
 * <p>Records written by the first stores, as JSON text (they begin with <code>{</code>), still
 * decode.
 */
final class StoredRecordCodec {
    private static final byte FORMAT = 1;
    private static final int EXPIRES = 1;
    private static final int SOFT_DELETED = 2;
    private static final ObjectMapper JSON = new ObjectMapper();

    private StoredRecordCodec() {}

    static byte[] encode(StoredRecord record) {
        ByteArrayOutputStream bytes =
                new ByteArrayOutputStream(64 + 24 * record.features().size());
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            out.writeLong(record.eventTime().toEpochMilli());
            Instant expiresAt = record.expiresAt();
            out.writeByte((expiresAt != null ? EXPIRES : 0) | (record.softDeleted() ? SOFT_DELETED : 0));
            if (expiresAt != null) {
                out.writeLong(expiresAt.toEpochMilli());
            }
            out.writeInt(record.features().size());
            for (FeatureValue feature : record.features()) {
                writeString(out, feature.name());
                List<String> values = feature.values();
                if (values == null) {
                    out.writeByte(0);
                    writeString(out, String.valueOf(feature.value()));
                } else {
                    out.writeByte(1);
                    out.writeInt(values.size());
                    for (String value : values) {
                        writeString(out, value);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode a record", e); // a byte array does not fail
        }
        return bytes.toByteArray();
    }

    static StoredRecord decode(byte[] bytes) {
        if (bytes.length > 0 && bytes[0] == '{') {
            return decodeJson(new String(bytes, StandardCharsets.UTF_8));
        }
        try {
            ByteBuffer in = ByteBuffer.wrap(bytes);
            byte format = in.get();
            if (format != FORMAT) {
                throw new IllegalStateException("a stored record has the unknown format " + format);
            }
            Instant eventTime = Instant.ofEpochMilli(in.getLong());
            int flags = in.get();
            Instant expiresAt = (flags & EXPIRES) != 0 ? Instant.ofEpochMilli(in.getLong()) : null;
            int count = in.getInt();
            List<FeatureValue> features = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                String name = readString(in, bytes);
                if (in.get() == 0) {
                    features.add(new FeatureValue(name, readString(in, bytes), null));
                } else {
                    int size = in.getInt();
                    List<String> values = new ArrayList<>(size);
                    for (int j = 0; j < size; j++) {
                        values.add(readString(in, bytes));
                    }
                    features.add(new FeatureValue(name, null, values));
                }
            }
            return new StoredRecord(features, eventTime, expiresAt, (flags & SOFT_DELETED) != 0);
        } catch (BufferUnderflowException e) {
            throw new IllegalStateException("a stored record is cut short (" + bytes.length + " bytes)", e);
        }
    }

    /** The JSON text the first stores wrote. */
    static StoredRecord decodeJson(String text) {
        try {
            JsonNode node = JSON.readTree(text);
            List<FeatureValue> features = new ArrayList<>();
            node.path("f").forEach(f -> features.add(FeatureValue.fromJson(f)));
            @Nullable
            Instant expiresAt =
                    node.has("x") ? Instant.ofEpochMilli(node.get("x").asLong()) : null;
            return new StoredRecord(
                    features,
                    Instant.ofEpochMilli(node.path("t").asLong()),
                    expiresAt,
                    node.path("d").asBoolean(false));
        } catch (IOException e) {
            throw new UncheckedIOException("a stored record is not valid JSON", e);
        }
    }

    private static void writeString(DataOutputStream out, String value) throws IOException {
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        out.writeInt(utf8.length);
        out.write(utf8);
    }

    private static String readString(ByteBuffer in, byte[] bytes) {
        int length = in.getInt();
        if (length < 0 || length > in.remaining()) {
            throw new BufferUnderflowException();
        }
        String value = new String(bytes, in.position(), length, StandardCharsets.UTF_8);
        in.position(in.position() + length);
        return value;
    }
}
