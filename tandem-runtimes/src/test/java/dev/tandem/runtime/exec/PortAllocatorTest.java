package dev.tandem.runtime.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

class PortAllocatorTest {

    @Test
    void blocksDoNotOverlapAndCarryTheirSafeRange() {
        PortAllocator ports = new PortAllocator(24_000, 24_000 + 4 * PortAllocator.BLOCK_SIZE - 1);

        PortBlock first = ports.allocate();
        PortBlock second = ports.allocate();

        assertThat(first.safeFirst()).isEqualTo(first.bindPort() + 1);
        assertThat(first.safeLast()).isEqualTo(first.bindPort() + PortAllocator.BLOCK_SIZE - 1);
        assertThat(second.bindPort()).isGreaterThan(first.safeLast());
        assertThat(first.safeRange()).isEqualTo(first.safeFirst() + "-" + first.safeLast());
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
}
