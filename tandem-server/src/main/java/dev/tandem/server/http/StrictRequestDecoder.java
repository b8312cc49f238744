package dev.tandem.server.http;

import dev.tandem.runtime.contract.RepeatedHeaderNames;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.net.impl.ConnectionBase;
import java.util.List;

/**
 * Vert.x's HTTP/1.1 request decoder, refusing a request that carries both {@code Content-Length}
 * and {@code Transfer-Encoding}. Netty's decoder drops the {@code Content-Length} and reads the
 * body as chunked, which is what RFC 9112 §6.1 allows a lone server — but a proxy in front that
 * trusted the length would then see a different request boundary than Tandem does, and a request
 * hidden in the body would be answered as if it were the proxy's (request smuggling). The RFC lets
 * a server reject such a request instead, and requires that it close the connection after
 * answering: Vert.x answers a request that failed to decode with 400 Bad Request and closes it.
 *
 * <p>It also knows whether it is part way through a request head, for the {@link
 * IdleConnectionGuard} installed beside it.
 *
 * <p>Vert.x has no option for this, so its decoder is replaced in each connection's pipeline;
 * the class and pipeline names are Vert.x's own (a test guards them across upgrades).
 */
final class StrictRequestDecoder extends VertxHttpRequestDecoder {
    private static final String DECODER = "httpDecoder";
    private static final String VERTX_HANDLER = "handler";
    /**
     * Vert.x's {@code ChunkedWriteHandler}, there for {@code sendFile}'s files sent in chunks. Tandem
     * sends no files, yet every response passed through it, queued and dequeued again: without it
     * the server's user time fell by about 1 µs a request (9–10 against 10–12 µs at 16 connections
     * on the hop, in both start orders).
     */
    private static final String CHUNKED_WRITER = "chunkedWriter";

    /** Between requests: the next byte starts a head. */
    private boolean betweenRequests = true;

    /** Bytes of a head have come in, and not yet all of it. */
    private boolean midHead;

    /** A kept-alive client sends the same header names with every request: each is made once. */
    private final RepeatedHeaderNames headerNames = new RepeatedHeaderNames();

    private StrictRequestDecoder(HttpServerOptions options) {
        super(options);
    }

    /**
     * Puts the strict decoder in place of Vert.x's in a new connection's pipeline, and the idle guard
     * after it; takes out the chunked writer nothing here uses.
     */
    static void install(HttpConnection connection, HttpServerOptions options, ConnectionLimits limits) {
        if (connection instanceof ConnectionBase base) {
            ChannelPipeline pipeline = base.channel().pipeline();
            if (pipeline.get(DECODER) instanceof VertxHttpRequestDecoder) {
                StrictRequestDecoder decoder = new StrictRequestDecoder(options);
                pipeline.replace(DECODER, DECODER, decoder);
                if (pipeline.get(CHUNKED_WRITER) != null) {
                    pipeline.remove(CHUNKED_WRITER);
                }
                if (pipeline.get(VERTX_HANDLER) != null) {
                    pipeline.addBefore(
                            VERTX_HANDLER,
                            IdleConnectionGuard.NAME,
                            new IdleConnectionGuard(limits.idleTimeout(), decoder));
                }
            }
        }
    }

    boolean midHead() {
        return midHead;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
        if (betweenRequests && buffer.isReadable()) {
            betweenRequests = false;
            midHead = true;
        }
        int before = out.size();
        super.decode(ctx, buffer, out);
        for (int i = before; i < out.size(); i++) {
            Object decoded = out.get(i);
            if (decoded instanceof HttpRequest) {
                midHead = false;
            }
            if (decoded instanceof LastHttpContent) {
                betweenRequests = true;
            }
        }
    }

    @Override
    protected AsciiString splitHeaderName(byte[] bytes, int start, int length) {
        return headerNames.name(bytes, start, length);
    }

    @Override
    protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
        message.setDecoderResult(DecoderResult.failure(new IllegalArgumentException(
                "A request may not carry both Content-Length and Transfer-Encoding (RFC 9112 section 6.1).")));
    }
}
