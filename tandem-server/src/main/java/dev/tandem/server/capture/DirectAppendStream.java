package dev.tandem.server.capture;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends to a file past the page cache ({@code O_DIRECT}) where its file system allows, so that a
 * capture file written at tens of megabytes a second neither fills the machine's memory with pages
 * nobody reads again nor pays for fresh pages on every write.
 *
 * <p>Why: buffered writes copy every record into the page cache, which grows by the file's size
 * until the kernel writes it back and reclaims it; on a virtual machine that hands free memory back
 * to its host, each of those pages is faulted in again, and that copy was most of what capturing
 * every request cost (2.7–3.2 µs of kernel time a 1.6 KB record there, against 0.3 µs written
 * direct: {@code tandem-bench/run capture}).
 *
 * <p>How: direct I/O writes whole, aligned blocks only. Bytes are kept until a block fills and
 * written from an aligned buffer at the block's offset; on {@link #flush()} the partial last block
 * goes through an ordinary file channel, so that the file always holds exactly the bytes written so
 * far — a reader never sees padding — and the next direct write over that block supersedes it (the
 * kernel writes back and drops the one cached page first). An existing file is appended to: its
 * partial last block is read back as the start of the bytes kept.
 *
 * <p>Where the file system refuses direct I/O (tmpfs on older kernels, some overlays), {@link #open}
 * returns a plain buffered stream instead. A file whose records cannot be written (a full disk)
 * refuses further records once a megabyte waits, rather than keeping them in memory. Not
 * thread-safe: the capture writer is one thread.
 */
final class DirectAppendStream extends OutputStream {
    /** Bytes kept before whole blocks are written: large writes are cheap writes with direct I/O. */
    static final int STAGING_BYTES = 1 << 20;
    /** A buffer that grew past this for one large record is let go once written. */
    private static final int MAX_KEPT_BYTES = 4 * STAGING_BYTES;

    private static final int BUFFERED_BYTES = 64 * 1024;
    /**
     * {@code com.sun.nio.file.ExtendedOpenOption.DIRECT}, looked up when the class loads: javac warns
     * of every compile-time use of the JDK's {@code jdk.unsupported} module, and the build treats
     * warnings as errors. Null on a JDK without it.
     */
    private static final @Nullable OpenOption DIRECT = directOption();

    private static final Logger LOG = LoggerFactory.getLogger(DirectAppendStream.class);

    private final Path file;
    private final FileChannel direct;
    /** Writes the partial last block, which direct I/O cannot. */
    private final FileChannel tail;

    private final int block;
    private final Staging staging;
    /** False once a direct write failed: the file is then written through the page cache. */
    private boolean directWrites = true;
    /** Where the whole blocks written end: {@link #kept} holds the file's bytes from here on. */
    private long blocksEnd;

    private byte[] kept;
    private int keptLength;
    /** How many of the kept bytes the file already has, written as its partial last block. */
    private int keptInFile;

    /**
     * The aligned buffer that direct writes go out from, one for all the files a writer thread has
     * open.
     */
    static final class Staging {
        private ByteBuffer buffer = ByteBuffer.allocate(0);

        ByteBuffer alignedTo(int block) {
            if (buffer.capacity() < STAGING_BYTES || buffer.alignmentOffset(0, block) != 0) {
                buffer = ByteBuffer.allocateDirect(STAGING_BYTES + block).alignedSlice(block);
            }
            return buffer.clear().limit(STAGING_BYTES);
        }
    }

    /**
     * Opens {@code file} for appending, creating it if missing: direct where the file system allows,
     * else through a plain buffered stream.
     */
    static OutputStream open(Path file, Staging staging) throws IOException {
        FileChannel tail =
                FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileChannel direct = null;
        try {
            long block = Files.getFileStore(file).getBlockSize();
            if (DIRECT != null && block > 0 && block <= 64 * 1024 && STAGING_BYTES % block == 0) {
                direct = FileChannel.open(file, StandardOpenOption.WRITE, DIRECT);
                return new DirectAppendStream(file, direct, tail, (int) block, staging);
            }
        } catch (IOException | UnsupportedOperationException refused) {
            // Not a file system for direct I/O: written through the page cache below.
            if (direct != null) {
                direct.close();
            }
        }
        tail.close();
        return new BufferedOutputStream(
                Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND), BUFFERED_BYTES);
    }

    private static @Nullable OpenOption directOption() {
        try {
            Class<?> options = Class.forName("com.sun.nio.file.ExtendedOpenOption");
            for (Object option : options.getEnumConstants()) {
                if (((Enum<?>) option).name().equals("DIRECT")) {
                    return (OpenOption) option;
                }
            }
        } catch (ClassNotFoundException e) {
            // A JDK without it: capture files go through the page cache.
        }
        return null;
    }

    /** Package-private for tests, which hand it channels that fail. */
    DirectAppendStream(Path file, FileChannel direct, FileChannel tail, int block, Staging staging) throws IOException {
        this.file = file;
        this.direct = direct;
        this.tail = tail;
        this.block = block;
        this.staging = staging;
        long size = tail.size();
        this.blocksEnd = size - size % block;
        this.keptLength = (int) (size - blocksEnd);
        this.kept = new byte[Math.max(keptLength, 8192)];
        ByteBuffer partial = ByteBuffer.wrap(kept, 0, keptLength);
        while (partial.hasRemaining()) {
            if (tail.read(partial, blocksEnd + partial.position()) < 0) {
                throw new IOException("capture file " + size + " bytes long ended early while reading it back");
            }
        }
        this.keptInFile = keptLength;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        if (keptLength >= STAGING_BYTES) {
            // The last write to the file failed (a full disk): tried again before more is kept, so
            // that a file that cannot be written refuses records instead of growing in memory.
            writeWholeBlocks();
        }
        if (kept.length - keptLength < length) {
            byte[] larger = new byte[Math.max(keptLength + length, Math.min(2 * kept.length, MAX_KEPT_BYTES))];
            System.arraycopy(kept, 0, larger, 0, keptLength);
            kept = larger;
        }
        System.arraycopy(bytes, offset, kept, keptLength, length);
        keptLength += length;
        if (keptLength >= STAGING_BYTES) {
            try {
                writeWholeBlocks();
            } catch (IOException notYet) {
                // These bytes are kept, whole, and written once the file takes them; the next
                // record tries again and is refused if the file still does not.
            }
        }
    }

    /** Writes every byte kept to the file: the whole blocks direct, the rest as its last block. */
    @Override
    public void flush() throws IOException {
        writeWholeBlocks();
        if (keptLength > keptInFile) {
            writeThroughPageCache();
        }
    }

    /**
     * Writes the whole blocks kept, direct; or everything kept, through the page cache, once direct
     * writes have been refused.
     */
    private void writeWholeBlocks() throws IOException {
        if (directWrites) {
            int whole = keptLength - keptLength % block;
            if (whole == 0) {
                return;
            }
            try {
                writeDirect(whole);
                written(whole);
                return;
            } catch (IOException refused) {
                // A file system that opened the file for direct I/O yet refuses its writes, or a
                // full disk: this file goes on through the page cache (and fails there too if full).
                LOG.warn(
                        "Direct writes to {} failed ({}); it is written through the page cache",
                        file,
                        refused.toString());
                directWrites = false;
            }
        }
        int rest = keptLength;
        writeThroughPageCache();
        written(rest);
    }

    private void writeDirect(int whole) throws IOException {
        for (int done = 0; done < whole; ) {
            ByteBuffer out = staging.alignedTo(block);
            int chunk = Math.min(out.remaining(), whole - done);
            out.put(kept, done, chunk).flip();
            long at = blocksEnd + done;
            while (out.hasRemaining()) {
                direct.write(out, at + out.position());
            }
            done += chunk;
        }
    }

    /** Writes the kept bytes the file does not have yet, through the page cache. */
    private void writeThroughPageCache() throws IOException {
        ByteBuffer rest = ByteBuffer.wrap(kept, keptInFile, keptLength - keptInFile);
        while (rest.hasRemaining()) {
            tail.write(rest, blocksEnd + rest.position());
        }
        keptInFile = keptLength;
    }

    /** Lets go of the first {@code length} kept bytes, now in the file. */
    private void written(int length) {
        blocksEnd += length;
        keptLength -= length;
        if (kept.length > MAX_KEPT_BYTES) {
            byte[] smaller = new byte[Math.max(keptLength, 8192)];
            System.arraycopy(kept, length, smaller, 0, keptLength);
            kept = smaller;
        } else {
            System.arraycopy(kept, length, kept, 0, keptLength);
        }
        // A partial block written before lay within what was just written.
        keptInFile = 0;
    }

    @Override
    public void close() throws IOException {
        try {
            flush();
        } finally {
            try {
                direct.close();
            } finally {
                tail.close();
            }
        }
    }
}
