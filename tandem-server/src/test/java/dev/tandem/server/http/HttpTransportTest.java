package dev.tandem.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.server.ServerConfig;
import org.junit.jupiter.api.Test;

class HttpTransportTest {

    @Test
    void serverDisablesNagle() {
        // With Nagle's algorithm a keep-alive POST stalls ~44 ms on these machines; 0.56 ms with TCP_NODELAY.
        assertThat(HttpTransport.serverOptions("127.0.0.1", 0).isTcpNoDelay()).isTrue();
    }

    @Test
    void serverNegotiatesNoWebSocketCompression() {
        // Either one would have Vert.x put a WebSocket extension handler on every connection.
        assertThat(HttpTransport.serverOptions("127.0.0.1", 0).getPerFrameWebSocketCompressionSupported())
                .isFalse();
        assertThat(HttpTransport.serverOptions("127.0.0.1", 0).getPerMessageWebSocketCompressionSupported())
                .isFalse();
    }

    @Test
    void defaultsAreDocumentedOnes() {
        ServerConfig defaults = ServerConfig.defaults();

        assertThat(defaults.port()).isEqualTo(8080);
        assertThat(defaults.host()).isEqualTo("127.0.0.1");
        assertThat(defaults.maxPayloadBytes()).isEqualTo(6_291_456L);
        assertThat(defaults.startupTimeout()).hasSeconds(600);
        assertThat(defaults.dataDir()).hasToString(".tandem");
    }
}
