package dev.tandem.runtime.exec;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.BitSet;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Hands out blocks of ports to containers so that no two containers of this server collide, and
 * skips blocks another program is already listening in. The range should lie below the kernel's
 * ephemeral port range (32768 and up on Linux) so outgoing connections do not take them.
 *
 * <p>Each allocator begins at a block picked at random. A block is only probed free here and
 * bound later, by the container: two servers started together on one machine that both began at
 * the range's first block would probe the same ports, find them free, and hand them both out.
 */
public final class PortAllocator {
    static final int BLOCK_SIZE = 16;

    private final int first;
    private final int blocks;
    private final BitSet taken;
    private int cursor;

    public PortAllocator(int firstPort, int lastPort) {
        this(firstPort, lastPort, ThreadLocalRandom.current().nextInt(Math.max(1, blocksIn(firstPort, lastPort))));
    }

    /** An allocator that tries {@code firstBlock} (counted from 0) first. */
    PortAllocator(int firstPort, int lastPort, int firstBlock) {
        this.first = firstPort;
        this.blocks = blocksIn(firstPort, lastPort);
        if (blocks < 1) {
            throw new IllegalArgumentException(
                    "port range " + firstPort + "-" + lastPort + " holds no block of " + BLOCK_SIZE + " ports");
        }
        this.taken = new BitSet(blocks);
        this.cursor = Math.floorMod(firstBlock, blocks);
    }

    private static int blocksIn(int firstPort, int lastPort) {
        return (lastPort - firstPort + 1) / BLOCK_SIZE;
    }

    /**
     * Takes a free block.
     *
     * @throws IllegalStateException when every block is taken or in use by other programs
     */
    public synchronized PortBlock allocate() {
        for (int tried = 0; tried < blocks; tried++) {
            int block = cursor;
            cursor = (cursor + 1) % blocks;
            if (taken.get(block)) {
                continue;
            }
            int start = first + block * BLOCK_SIZE;
            if (isFree(start)) {
                taken.set(block);
                return new PortBlock(start, start + 1, start + BLOCK_SIZE - 1);
            }
        }
        throw new IllegalStateException(
                "no free block of " + BLOCK_SIZE + " ports left in " + first + "-" + (first + blocks * BLOCK_SIZE - 1));
    }

    public synchronized void release(PortBlock block) {
        taken.clear((block.bindPort() - first) / BLOCK_SIZE);
    }

    /**
     * Whether a program listens on {@code port} of the loopback address. Unlike a block's first
     * probe this ignores connections lingering in TIME_WAIT after a container's process is gone: a
     * server that sets {@code SO_REUSEADDR}, as nearly all do, binds past them.
     */
    static boolean listenedOn(int port) {
        return !binds(port, true);
    }

    private static boolean isFree(int port) {
        return binds(port, false);
    }

    /** Whether a socket of this process can bind {@code port} on loopback just now. */
    private static boolean binds(int port, boolean reuseAddress) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(reuseAddress);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
