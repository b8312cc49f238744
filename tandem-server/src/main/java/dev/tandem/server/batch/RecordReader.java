package dev.tandem.server.batch;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Splits an input stream into records as {@code SplitType} says, never holding more than one
 * record (at most the payload limit) in memory.
 */
abstract class RecordReader {
    protected final InputStream in;
    protected final long maxRecordBytes;

    RecordReader(InputStream in, long maxRecordBytes) {
        this.in = in;
        this.maxRecordBytes = maxRecordBytes;
    }

    /** The next record, or null at the end; throws {@link RecordTooLargeException}. */
    abstract byte @Nullable [] next() throws IOException;

    static RecordReader of(TransformJobSpec.Split split, InputStream in, long maxRecordBytes) {
        return switch (split) {
            case NONE -> new Whole(in, maxRecordBytes);
            case LINE -> new Lines(in, maxRecordBytes);
            case RECORD_IO -> new RecordIo(in, maxRecordBytes);
        };
    }

    /** A record over the limit: the job cannot send it in one request. */
    static final class RecordTooLargeException extends IOException {
        private static final long serialVersionUID = 1L;

        RecordTooLargeException(long limit) {
            super("a single record is larger than MaxPayloadInMB (" + limit + " bytes)");
        }
    }

    /** SplitType None: the whole file is one record. */
    private static final class Whole extends RecordReader {
        private boolean done;

        Whole(InputStream in, long maxRecordBytes) {
            super(in, maxRecordBytes);
        }

        @Override
        byte @Nullable [] next() throws IOException {
            if (done) {
                return null;
            }
            done = true;
            byte[] all = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxRecordBytes + 1));
            if (all.length > maxRecordBytes) {
                throw new RecordTooLargeException(maxRecordBytes);
            }
            return all;
        }
    }

    /** SplitType Line: one record per line, without its line ending; blank lines are skipped. */
    private static final class Lines extends RecordReader {
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        Lines(InputStream in, long maxRecordBytes) {
            super(in, maxRecordBytes);
        }

        @Override
        byte @Nullable [] next() throws IOException {
            while (true) {
                line.reset();
                int b;
                boolean any = false;
                while ((b = in.read()) != -1 && b != '\n') {
                    any = true;
                    line.write(b);
                    if (line.size() > maxRecordBytes) {
                        throw new RecordTooLargeException(maxRecordBytes);
                    }
                }
                if (b == -1 && !any) {
                    return null;
                }
                byte[] bytes = line.toByteArray();
                int length = bytes.length;
                if (length > 0 && bytes[length - 1] == '\r') {
                    length--;
                }
                if (isBlank(bytes, length)) {
                    if (b == -1) {
                        return null;
                    }
                    continue;
                }
                return length == bytes.length ? bytes : Arrays.copyOf(bytes, length);
            }
        }

        private static boolean isBlank(byte[] bytes, int length) {
            for (int i = 0; i < length; i++) {
                if (bytes[i] != ' ' && bytes[i] != '\t') {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * SplitType RecordIO: MXNet's framing — a magic number, a length word (upper 3 bits a
     * continuation flag, which Tandem refuses), the data, padding to 4 bytes. Each record keeps its
     * framing, as a container reading RecordIO expects.
     */
    private static final class RecordIo extends RecordReader {
        static final int MAGIC = 0xced7230a;

        RecordIo(InputStream in, long maxRecordBytes) {
            super(in, maxRecordBytes);
        }

        @Override
        byte @Nullable [] next() throws IOException {
            byte[] header = in.readNBytes(8);
            if (header.length == 0) {
                return null;
            }
            if (header.length < 8) {
                throw new EOFException("a RecordIO header is cut short");
            }
            ByteBuffer words = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
            if (words.getInt(0) != MAGIC) {
                throw new IOException("not RecordIO: a record does not start with the magic number 0xced7230a");
            }
            int lengthWord = words.getInt(4);
            if ((lengthWord >>> 29) != 0) {
                throw new IOException("multi-part RecordIO records are not supported");
            }
            int length = lengthWord & ((1 << 29) - 1);
            int padded = (length + 3) & ~3;
            if (8L + padded > maxRecordBytes) {
                throw new RecordTooLargeException(maxRecordBytes);
            }
            byte[] record = new byte[8 + padded];
            System.arraycopy(header, 0, record, 0, 8);
            if (in.readNBytes(record, 8, padded) < padded) {
                throw new EOFException("a RecordIO record is cut short");
            }
            return record;
        }
    }
}
