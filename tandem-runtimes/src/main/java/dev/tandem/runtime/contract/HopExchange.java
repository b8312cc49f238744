package dev.tandem.runtime.contract;

import dev.tandem.core.engine.StageTimeoutException;
import dev.tandem.core.engine.StageUnreachableException;
import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.StageException;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.core.stage.StageResponse;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import io.vertx.core.internal.ContextInternal;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * One {@code POST /invocations} sent by {@link LoopConnections}: waits for a connection of its event
 * loop, writes the request, and completes {@link #result} with the answer, the container's refusal,
 * or why there is none. Everything happens on that one loop, so it needs no synchronization; the
 * result completes once, whichever comes first of the answer, a failure and the deadline.
 */
final class HopExchange {
    private static final AsciiString TRACEPARENT = AsciiString.cached("traceparent");

    final ContractTarget target;
    private final String hostHeader;
    private final StageRequest request;
    private final Duration timeout;
    private final LoopConnections connections;
    /** The caller's Vert.x context, on this loop: the result completes within it. */
    private final ContextInternal context;
    /** Tells the container's supervisor that no connection to it could be opened. */
    private final Runnable whenRefused;

    final CompletableFuture<StageResponse> result = new CompletableFuture<>();

    /** The connection carrying it, once it has one. */
    private @Nullable Channel channel;
    /** Whether the whole request was written: only then may its connection carry the next. */
    private boolean written;

    HopExchange(
            ContractTarget target,
            String hostHeader,
            StageRequest request,
            Duration timeout,
            ContextInternal context,
            LoopConnections connections,
            Runnable whenRefused) {
        this.context = context;
        this.whenRefused = whenRefused;
        this.target = target;
        this.hostHeader = hostHeader;
        this.request = request;
        this.timeout = timeout;
        this.connections = connections;
    }

    /** Writes the request on {@code connection}, whose reader now expects its answer. */
    // The head and all but the last piece are written with void promises: a failed write reaches
    // the reader's exceptionCaught, which fails the exchange.
    @SuppressWarnings("FutureReturnValueIgnored")
    void send(Channel connection) {
        channel = connection;
        connection.pipeline().get(AnswerReader.class).expect(this);
        Payload body = request.body();
        HttpHeaders headers = headers(body.size());
        String path = target.invocationsPath();
        List<byte[]> pieces = body.unsafePieces();
        ChannelFuture sent;
        if (pieces.size() <= 1) {
            // Head and body as one message: Netty encodes a small one into a single buffer and
            // the request leaves in one send.
            ByteBuf content = pieces.isEmpty() ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(pieces.get(0));
            sent = connection.writeAndFlush(new DefaultFullHttpRequest(
                    HttpVersion.HTTP_1_1, HttpMethod.POST, path, content, headers, EmptyHttpHeaders.INSTANCE));
        } else {
            connection.write(
                    new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path, headers),
                    connection.voidPromise());
            // Each piece goes out as a buffer over its own array: no copy, and none of them joined.
            for (int i = 0; i < pieces.size() - 1; i++) {
                connection.write(
                        new DefaultHttpContent(Unpooled.wrappedBuffer(pieces.get(i))), connection.voidPromise());
            }
            sent = connection.writeAndFlush(
                    new DefaultLastHttpContent(Unpooled.wrappedBuffer(pieces.get(pieces.size() - 1))));
        }
        if (sent.isDone()) {
            wrote(sent);
        } else {
            sent.addListener(this::wrote);
        }
    }

    private void wrote(io.netty.util.concurrent.Future<? super Void> sent) {
        if (sent.isSuccess()) {
            written = true;
        } else {
            failed(sent.cause());
        }
    }

    private HttpHeaders headers(int length) {
        HttpHeaders headers = DefaultHttpHeadersFactory.headersFactory().newHeaders();
        headers.set(HttpHeaderNames.HOST, hostHeader);
        headers.set(HttpHeaderNames.CONTENT_LENGTH, length);
        if (request.contentType() != null) {
            headers.set(HttpHeaderNames.CONTENT_TYPE, request.contentType());
        }
        if (request.accept() != null) {
            headers.set(HttpHeaderNames.ACCEPT, request.accept());
        }
        if (request.customAttributes() != null) {
            headers.set(ContractClient.CUSTOM_ATTRIBUTES, request.customAttributes());
        }
        if (request.traceparent() != null) {
            headers.set(TRACEPARENT, request.traceparent());
        }
        return headers;
    }

    /** The container answered, whole: a 2xx is the stage's response, anything else its refusal. */
    void answered(
            int status,
            @Nullable String contentType,
            @Nullable String customAttributes,
            Payload body,
            boolean keepAlive) {
        Channel connection = channel;
        if (connection != null) {
            connections.release(target, connection, keepAlive && written && !result.isDone());
        }
        if (status < 200 || status > 299) {
            fail(ContractClient.refusal(status, body));
        } else {
            context.emit(new StageResponse(body, contentType, customAttributes), result::complete);
        }
    }

    /**
     * Completes the result as Vert.x completes its own futures: within the caller's context, so that
     * what the caller does next — the engine sending the next stage, say — runs where it began, on
     * this loop's connections and not another client's. (Netty's callbacks run outside any Vert.x
     * context; a pipeline's second stage then went out through the shared client, across threads.)
     */
    private void fail(Throwable failure) {
        context.emit(failure, result::completeExceptionally);
    }

    /** The exchange broke after it had a connection: the container may have seen the request. */
    @SuppressWarnings("FutureReturnValueIgnored") // the close completes on its own; nothing waits for it
    void failed(Throwable cause) {
        Throwable failure = cause instanceof StageException refused
                ? refused
                : new StageUnreachableException(ContractClient.describe(cause), cause, false);
        fail(failure);
        Channel connection = channel;
        if (connection != null) {
            connection.close();
        }
    }

    /** No connection could be opened: nothing was sent, so another instance may take it. */
    void unreachable(Throwable cause) {
        whenRefused.run();
        fail(new StageUnreachableException(ContractClient.describe(cause), cause, true));
    }

    /**
     * The deadline passed. A connection carrying the request is closed: an answer arriving later
     * must not be read as the next request's.
     */
    @SuppressWarnings("FutureReturnValueIgnored") // the close completes on its own; nothing waits for it
    void timedOut() {
        if (result.isDone()) {
            return;
        }
        fail(new StageTimeoutException(timeout));
        Channel connection = channel;
        if (connection != null) {
            connection.close();
        } else {
            connections.stopWaiting(this);
        }
    }
}
