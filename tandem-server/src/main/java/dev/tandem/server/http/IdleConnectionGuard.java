package dev.tandem.server.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes a client connection that owes the server bytes for longer than the idle timeout: no
 * complete request head since it opened or since its last answer, or a request body that stopped
 * arriving. A connection that is merely idle is closed quietly (its client opens a new one, as after
 * any keep-alive timeout); one caught half way through a head — a slow-loris sender trickling
 * header lines — is answered {@code 408 Request Timeout} first (RFC 9110 §15.5.9); a stalled body
 * closes the connection, which fails that request's read. The clock stops while a request that has
 * fully arrived is being served, however long it takes: a slow model never costs its client the
 * connection.
 *
 * <p>It sits after Vert.x's codec in each connection's pipeline, where it sees whole requests come
 * in and whole answers go out; all of it runs on the connection's event loop. One timer per
 * connection, rescheduled when it fires rather than on every request, keeps the hop cost flat.
 */
final class IdleConnectionGuard extends ChannelDuplexHandler {
    static final String NAME = "tandem-idle-guard";

    private final long timeoutNanos;
    private final StrictRequestDecoder decoder;
    private boolean timerPending;
    /** When the client last made progress the clock counts from. */
    private long lastProgress;
    /** A request's head has come in and its body has not all come in yet. */
    private boolean receiving;
    /** Requests whose answer has not all been written. */
    private int unanswered;

    IdleConnectionGuard(Duration timeout, StrictRequestDecoder decoder) {
        this.timeoutNanos = timeout.toNanos();
        this.decoder = decoder;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        lastProgress = System.nanoTime();
        if (ctx.channel().isActive()) {
            schedule(ctx, timeoutNanos);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (!timerPending) {
            schedule(ctx, timeoutNanos);
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
            unanswered++;
            receiving = true;
            lastProgress = System.nanoTime();
        }
        if (msg instanceof HttpContent) {
            lastProgress = System.nanoTime();
            if (msg instanceof LastHttpContent) {
                receiving = false;
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    @SuppressWarnings("FutureReturnValueIgnored") // the promise passed on carries the outcome
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof LastHttpContent && unanswered > 0 && --unanswered == 0) {
            lastProgress = System.nanoTime();
        }
        ctx.write(msg, promise);
    }

    /** Whether the client owes bytes: between requests, or part way through sending one. */
    private boolean clockRunning() {
        return receiving || unanswered == 0;
    }

    @SuppressWarnings("FutureReturnValueIgnored") // the timer is never cancelled; it checks when it fires
    private void schedule(ChannelHandlerContext ctx, long delayNanos) {
        timerPending = true;
        ctx.executor().schedule(() -> check(ctx), delayNanos, TimeUnit.NANOSECONDS);
    }

    private void check(ChannelHandlerContext ctx) {
        timerPending = false;
        if (!ctx.channel().isActive()) {
            return;
        }
        if (!clockRunning()) {
            schedule(ctx, timeoutNanos);
            return;
        }
        long left = lastProgress + timeoutNanos - System.nanoTime();
        if (left > 0) {
            schedule(ctx, left);
            return;
        }
        expire(ctx);
    }

    @SuppressWarnings("FutureReturnValueIgnored") // closing reports nothing anyone waits for
    private void expire(ChannelHandlerContext ctx) {
        if (unanswered == 0 && decoder.midHead()) {
            FullHttpResponse timeout =
                    new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.REQUEST_TIMEOUT);
            timeout.headers()
                    .set(HttpHeaderNames.CONTENT_LENGTH, 0)
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(timeout).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
    }
}
