package dev.tandem.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.transport.Transport;
import org.junit.jupiter.api.Test;

class IoTransportTest {
    @Test
    void namesAreReadAsTheOptionSpellsThem() {
        assertThat(IoTransport.named("auto")).isEqualTo(IoTransport.AUTO);
        assertThat(IoTransport.named("io_uring")).isEqualTo(IoTransport.IO_URING);
        assertThat(IoTransport.named("IO-URING")).isEqualTo(IoTransport.IO_URING);
        assertThat(IoTransport.named(" Epoll ")).isEqualTo(IoTransport.EPOLL);
        assertThat(IoTransport.named("nio")).isEqualTo(IoTransport.NIO);
        assertThat(IoTransport.IO_URING.label()).isEqualTo("io_uring");
    }

    @Test
    void anUnknownNameIsRefusedNamingTheChoices() {
        assertThatThrownBy(() -> IoTransport.named("kqueue2"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("io-transport must be one of auto, io_uring, epoll, nio; was 'kqueue2'");
    }

    @Test
    void autoTakesTheFirstAvailableOfIoUringEpollAndNio() {
        Transport expected = Transport.IO_URING != null && Transport.IO_URING.available()
                ? Transport.IO_URING
                : Transport.EPOLL != null && Transport.EPOLL.available() ? Transport.EPOLL : Transport.NIO;

        assertThat(IoTransport.AUTO.resolve()).isSameAs(expected);
        assertThat(IoTransport.labelOf(IoTransport.AUTO.resolve())).isIn("io_uring", "epoll", "nio");
    }

    @Test
    void anExplicitChoiceIsThatTransportOrAFailureWithItsReason() {
        assertThat(IoTransport.NIO.resolve()).isSameAs(Transport.NIO);
        for (IoTransport each : new IoTransport[] {IoTransport.IO_URING, IoTransport.EPOLL}) {
            Transport vertx = each == IoTransport.IO_URING ? Transport.IO_URING : Transport.EPOLL;
            if (vertx != null && vertx.available()) {
                assertThat(each.resolve()).isSameAs(vertx);
            } else {
                assertThatThrownBy(each::resolve)
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageStartingWith("the " + each.label() + " transport is not available here: ");
            }
        }
    }
}
