package dev.tandem.runtime.contract;

import dev.tandem.core.stage.Payload;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The last handler of a {@link LoopConnections} connection: reads the answer to the one request in
 * flight, whole, into a {@link Payload} of the pieces it came in, and hands it to that request's
 * exchange. An answer larger than the bound fails its exchange as soon as that is known, and its
 * connection is closed rather than read to the end. Informational (1xx) answers are skipped.
 */
final class AnswerReader extends ChannelInboundHandlerAdapter {
    private final long maxAnswerBytes;

    private @Nullable HopExchange current;
    private @Nullable HttpResponse head;
    private boolean informational;
    private List<byte[]> pieces = new ArrayList<>(2);
    private long length;

    AnswerReader(long maxAnswerBytes) {
        this.maxAnswerBytes = maxAnswerBytes;
    }

    /** The exchange whose request is about to be written on this connection. */
    void expect(HopExchange exchange) {
        current = exchange;
        head = null;
        informational = false;
        pieces = new ArrayList<>(2);
        length = 0;
    }

    @Override
    @SuppressWarnings("FutureReturnValueIgnored") // the close completes on its own; nothing waits for it
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            read(ctx, msg);
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @SuppressWarnings("FutureReturnValueIgnored") // the close completes on its own; nothing waits for it
    private void read(ChannelHandlerContext ctx, Object msg) {
        HopExchange exchange = current;
        if (exchange == null) {
            // Nothing asked for it (the strict decoder drops such bytes before they get here).
            ctx.close();
            return;
        }
        if (msg instanceof HttpObject decoded && decoded.decoderResult().isFailure()) {
            fail(ctx, exchange, decoded.decoderResult().cause());
            return;
        }
        if (msg instanceof HttpResponse response) {
            informational = response.status().codeClass() == HttpStatusClass.INFORMATIONAL;
            if (!informational) {
                head = response;
                long declared = HttpUtil.getContentLength(response, -1L);
                if (declared > maxAnswerBytes) {
                    fail(ctx, exchange, ContractClient.tooLarge(declared, maxAnswerBytes));
                    return;
                }
            }
        }
        if (msg instanceof HttpContent content) {
            if (informational) {
                informational = !(content instanceof LastHttpContent);
                return;
            }
            ByteBuf bytes = content.content();
            if (bytes.isReadable()) {
                if (length + bytes.readableBytes() > maxAnswerBytes) {
                    fail(ctx, exchange, ContractClient.tooLarge(length + bytes.readableBytes(), maxAnswerBytes));
                    return;
                }
                length += bytes.readableBytes();
                pieces.add(ByteBufUtil.getBytes(bytes));
            }
            if (content instanceof LastHttpContent && head != null) {
                HttpResponse answer = head;
                current = null;
                head = null;
                exchange.answered(
                        answer.status().code(),
                        answer.headers().get(HttpHeaderNames.CONTENT_TYPE),
                        answer.headers().get(ContractClient.CUSTOM_ATTRIBUTES),
                        Payload.ofPieces(pieces),
                        HttpUtil.isKeepAlive(answer));
            }
        }
    }

    @SuppressWarnings("FutureReturnValueIgnored") // the close completes on its own; nothing waits for it
    private void fail(ChannelHandlerContext ctx, HopExchange exchange, Throwable cause) {
        current = null;
        exchange.failed(cause);
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        HopExchange exchange = current;
        if (exchange != null) {
            current = null;
            exchange.failed(new IOException("The container closed the connection before it had answered."));
        }
        ctx.fireChannelInactive();
    }

    @Override
    @SuppressWarnings("FutureReturnValueIgnored") // the close completes on its own; nothing waits for it
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        HopExchange exchange = current;
        if (exchange != null) {
            fail(ctx, exchange, cause);
        } else {
            ctx.close();
        }
    }
}
