package dev.tandem.runtime.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PortAllocatorTest {

    @Test
    void blocksDoNotOverlapAndCarryTheirSafeRange() {
        PortAllocator ports = new PortAllocator(24_000, 24_000 + 4 * PortAllocator.BLOCK_SIZE - 1);

        PortBlock first = ports.allocate();
        PortBlock second = ports.allocate();

        assertThat(first.safeFirst()).isEqualTo(first.bindPort() + 1);
        assertThat(first.safeLast()).isEqualTo(first.bindPort() + PortAllocator.BLOCK_SIZE - 1);
        assertThat(second.bindPort() > first.safeLast() || second.safeLast() < first.bindPort())
                .as("%s and %s do not overlap", first, second)
                .isTrue();
        assertThat(first.safeRange()).isEqualTo(first.safeFirst() + "-" + first.safeLast());
    }

    @Test
    void blocksAreHandedOutFromTheFirstOneTriedOnwardsWrappingAround() {
        PortAllocator ports = new PortAllocator(24_300, 24_300 + 3 * PortAllocator.BLOCK_SIZE - 1, 2);

        assertThat(ports.allocate().bindPort()).isEqualTo(24_300 + 2 * PortAllocator.BLOCK_SIZE);
        assertThat(ports.allocate().bindPort()).isEqualTo(24_300);
        assertThat(ports.allocate().bindPort()).isEqualTo(24_300 + PortAllocator.BLOCK_SIZE);
    }

    @Test
    void allocatorsBeginAtBlocksOfTheirOwn() {
        // Two servers started together must not probe the same ports first. Eight allocators over
        // 512 blocks all beginning at one block is a chance of one in 512^7.
        Set<Integer> firstPorts = new HashSet<>();
        for (int i = 0; i < 8; i++) {
            firstPorts.add(new PortAllocator(20_000, 20_000 + 512 * PortAllocator.BLOCK_SIZE - 1)
                    .allocate()
                    .bindPort());
        }

        assertThat(firstPorts).hasSizeGreaterThan(1);
    }

    @Test
    void releasedBlocksAreReusedAndExhaustionIsExplicit() {
        PortAllocator ports = new PortAllocator(24_100, 24_100 + 2 * PortAllocator.BLOCK_SIZE - 1);
        PortBlock a = ports.allocate();
        ports.allocate();

        assertThatThrownBy(ports::allocate)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no free block");
        ports.release(a);
        assertThat(ports.allocate()).isEqualTo(a);
    }

    @Test
    void skipsABlockWhosePortAnotherProgramHolds() throws IOException {
        try (ServerSocket squatter = new ServerSocket()) {
            squatter.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 24_200));
            PortAllocator ports = new PortAllocator(24_200, 24_200 + 2 * PortAllocator.BLOCK_SIZE - 1);

            assertThat(ports.allocate().bindPort()).isEqualTo(24_200 + PortAllocator.BLOCK_SIZE);
        }
    }

    @Test
    void aPortIsListenedOnWhileAProgramListensThereAndNoLonger() throws IOException {
        int port;
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = listener.getLocalPort();

            assertThat(PortAllocator.listenedOn(port)).isTrue();
        }
        assertThat(PortAllocator.listenedOn(port)).isFalse();
    }
}
