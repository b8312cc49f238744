package dev.tandem.server.capture;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A file channel whose positional writes fail while {@link #failing} is set, as a full disk's or a
 * file system's that refuses direct writes do; everything else goes to a real channel.
 */
final class FailingChannel extends FileChannel {
    private final FileChannel real;
    private final String error;
    volatile boolean failing;
    int failedWrites;

    FailingChannel(FileChannel real, String error) {
        this.real = real;
        this.error = error;
    }

    @Override
    public int write(ByteBuffer source, long position) throws IOException {
        if (failing) {
            failedWrites++;
            throw new IOException(error);
        }
        return real.write(source, position);
    }

    @Override
    public int read(ByteBuffer destination, long position) throws IOException {
        return real.read(destination, position);
    }

    @Override
    public int read(ByteBuffer destination) throws IOException {
        return real.read(destination);
    }

    @Override
    public long read(ByteBuffer[] destinations, int offset, int length) throws IOException {
        return real.read(destinations, offset, length);
    }

    @Override
    public int write(ByteBuffer source) throws IOException {
        return real.write(source);
    }

    @Override
    public long write(ByteBuffer[] sources, int offset, int length) throws IOException {
        return real.write(sources, offset, length);
    }

    @Override
    public long position() throws IOException {
        return real.position();
    }

    @Override
    public FileChannel position(long position) throws IOException {
        real.position(position);
        return this;
    }

    @Override
    public long size() throws IOException {
        return real.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        real.truncate(size);
        return this;
    }

    @Override
    public void force(boolean metaData) throws IOException {
        real.force(metaData);
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        return real.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel source, long position, long count) throws IOException {
        return real.transferFrom(source, position, count);
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
        return real.map(mode, position, size);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
        return real.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        return real.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
        real.close();
    }
}
