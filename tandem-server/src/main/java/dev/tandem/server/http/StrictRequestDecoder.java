package dev.tandem.server.http;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpMessage;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * Vert.x's HTTP/1.1 request decoder, refusing a request that carries both {@code Content-Length}
 * and {@code Transfer-Encoding}. Netty's decoder drops the {@code Content-Length} and reads the
 * body as chunked, which is what RFC 9112 §6.1 allows a lone server — but a proxy in front that
 * trusted the length would then see a different request boundary than Tandem does, and a request
 * hidden in the body would be answered as if it were the proxy's (request smuggling). The RFC lets
 * a server reject such a request instead, and requires that it close the connection after
 * answering: Vert.x answers a request that failed to decode with 400 Bad Request and closes it.
 *
 * <p>Vert.x has no option for this, so its decoder is replaced in each connection's pipeline;
 * the class and pipeline name are Vert.x's own (a test guards them across upgrades).
 */
final class StrictRequestDecoder extends VertxHttpRequestDecoder {
    private static final String DECODER = "httpDecoder";

    private StrictRequestDecoder(HttpServerOptions options) {
        super(options);
    }

    /** Puts the strict decoder in place of Vert.x's in a new connection's pipeline. */
    static void install(HttpConnection connection, HttpServerOptions options) {
        if (connection instanceof ConnectionBase base) {
            ChannelPipeline pipeline = base.channel().pipeline();
            if (pipeline.get(DECODER) instanceof VertxHttpRequestDecoder) {
                pipeline.replace(DECODER, DECODER, new StrictRequestDecoder(options));
            }
        }
    }

    @Override
    protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
        message.setDecoderResult(DecoderResult.failure(new IllegalArgumentException(
                "A request may not carry both Content-Length and Transfer-Encoding (RFC 9112 section 6.1).")));
    }
}
