package dev.tandem.runtime.contract;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Netty's HTTP/1.1 response decoder, refusing bytes that no request asked for. A container that
 * sends more than its {@code Content-Length} leaves the surplus on a kept-alive connection, where
 * Netty's decoder would read it as the start of the <em>next</em> answer — and fail the next,
 * innocent request with "invalid version format". nginx treats the surplus as a broken upstream
 * ("upstream sent more data than specified") and does not reuse the connection; so does Tandem:
 * the answer in hand is kept, the surplus is dropped and the connection is closed once that
 * answer has been read. Bytes arriving on an idle pooled connection are handled the same way.
 *
 * <p>Vert.x has no option for this, so its client codec is replaced in each new connection's
 * pipeline; the pipeline name is Vert.x's own (a fault-injection test guards the behaviour across
 * upgrades). The real-time hop's own connections ({@link LoopConnections}) are built with it.
 */
final class StrictResponseDecoder extends HttpResponseDecoder {
    private static final String CODEC = "codec";

    /** True from the moment a request is written until its final (non-1xx) answer is decoded. */
    private boolean awaitingAnswer;

    private @Nullable HttpResponse head;

    /** A container answers every request with the same header names: each is made once. */
    private final RepeatedHeaderNames headerNames = new RepeatedHeaderNames();

    private StrictResponseDecoder(HttpClientOptions options) {
        super(new HttpDecoderConfig()
                .setMaxInitialLineLength(options.getMaxInitialLineLength())
                .setMaxHeaderSize(options.getMaxHeaderSize())
                .setMaxChunkSize(options.getMaxChunkSize())
                .setInitialBufferSize(options.getDecoderInitialBufferSize())
                .setValidateHeaders(false));
    }

    /** Puts the strict codec in place of Vert.x's in a new connection's pipeline. */
    static void install(HttpConnection connection, HttpClientOptions options) {
        if (connection instanceof ConnectionBase base) {
            ChannelPipeline pipeline = base.channel().pipeline();
            if (pipeline.get(CODEC) instanceof HttpClientCodec) {
                pipeline.replace(CODEC, CODEC, codec(options));
            }
        }
    }

    /** The strict decoder with the request encoder that tells it when an answer is due. */
    static ChannelHandler codec(HttpClientOptions options) {
        StrictResponseDecoder decoder = new StrictResponseDecoder(options);
        return new CombinedChannelDuplexHandler<>(decoder, decoder.new Encoder());
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        if (!awaitingAnswer) {
            dropSurplus(ctx, in);
            return;
        }
        int before = out.size();
        super.decode(ctx, in, out);
        for (int i = before; i < out.size(); i++) {
            Object decoded = out.get(i);
            if (decoded instanceof HttpResponse response) {
                head = response;
            }
            if (decoded instanceof LastHttpContent && !informational()) {
                awaitingAnswer = false;
                if (in.isReadable() && head != null) {
                    // Surplus in the same read as the answer's end: the answer is whole, the
                    // connection is not. Vert.x closes a connection whose answer says so.
                    HttpUtil.setKeepAlive(head, false);
                }
            }
        }
    }

    @Override
    protected AsciiString splitHeaderName(byte[] bytes, int start, int length) {
        return headerNames.name(bytes, start, length);
    }

    private boolean informational() {
        return head != null && head.status().codeClass() == HttpStatusClass.INFORMATIONAL;
    }

    @SuppressWarnings("FutureReturnValueIgnored") // the close completes on its own; nothing waits for it
    private static void dropSurplus(ChannelHandlerContext ctx, ByteBuf in) {
        // One stray line end after a body is tolerated, as most clients do.
        while (in.isReadable() && isLineEnd(in.getByte(in.readerIndex()))) {
            in.skipBytes(1);
        }
        if (in.isReadable()) {
            in.skipBytes(in.readableBytes());
            ctx.close();
        }
    }

    private static boolean isLineEnd(byte b) {
        return b == '\r' || b == '\n';
    }

    /** Netty's request encoder, telling the decoder when an answer is due. */
    private final class Encoder extends HttpRequestEncoder {
        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
            if (msg instanceof HttpRequest) {
                awaitingAnswer = true;
                head = null;
            }
            super.write(ctx, msg, promise);
        }
    }
}
