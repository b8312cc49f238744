package dev.tandem.server.http;

import io.vertx.core.http.HttpServerOptions;

/**
 * Socket and protocol settings of Tandem's HTTP server. {@code TCP_NODELAY} is on: with Nagle's
 * algorithm a sequential keep-alive POST stalls ~44 ms on these machines, 0.56 ms with it, and a test
 * guards it.
 */
public final class HttpTransport {
    private HttpTransport() {}

    public static HttpServerOptions serverOptions(String host, int port) {
        return new HttpServerOptions()
                .setHost(host)
                .setPort(port)
                .setTcpNoDelay(true)
                .setTcpKeepAlive(true)
                .setReuseAddress(true)
                .setCompressionSupported(false)
                .setDecompressionSupported(false)
                // No WebSocket route: without compression to negotiate Vert.x adds no WebSocket
                // extension handler to each connection, which would look at every request's headers.
                .setPerFrameWebSocketCompressionSupported(false)
                .setPerMessageWebSocketCompressionSupported(false)
                .setMaxInitialLineLength(8192)
                .setMaxHeaderSize(16 * 1024)
                .setHandle100ContinueAutomatically(true)
                // HTTP/1.1 only: no sniffing of every new connection for HTTP/2 prior knowledge.
                .setHttp2ClearTextEnabled(false)
                // A response goes straight to its connection, not through a queue any thread may feed:
                // about 4% more requests a second through a container hop at 16 and 64 connections,
                // head to head. Vert.x then refuses writes from other threads; whatever answers off
                // the event loop answers through RequestLoop.
                .setStrictThreadMode(true);
    }
}
