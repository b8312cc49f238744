package dev.tandem.runtime.contract;

import dev.tandem.core.engine.InvocationLimits;
import dev.tandem.core.engine.StageTimeoutException;
import dev.tandem.core.engine.StageUnreachableException;
import dev.tandem.core.engine.StreamedResponse;
import dev.tandem.core.error.ThrottlingException;
import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.StageException;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.core.stage.StageResponse;
import io.netty.channel.EventLoop;
import io.netty.util.AsciiString;
import io.netty.util.NetUtil;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of the SageMaker container contract: {@code GET /ping} and {@code POST
 * /invocations}, over pooled keep-alive connections with {@code TCP_NODELAY}.
 *
 * <p>{@link #ping} blocks, and is meant to be called from virtual threads; {@link #invoke} does
 * not. Requests run on Vert.x's event loop. A spooled request body is streamed from its file, and
 * an invocation under {@link InvocationLimits} has a large answer streamed to a file: neither is
 * ever held whole in memory.
 *
 * <p>Each event loop has a client of its own, so that a request made on a loop goes out on a
 * connection that loop owns: a request read on a loop is sent, answered and answered back on that
 * one thread, as nginx's workers do, with no hand-off between threads. (One shared pool hands each
 * request the connection used last, whichever loop owns it, and every hop then crossed threads
 * twice.) Requests from other threads — virtual threads of batch and asynchronous work — share one
 * more client. Deadlines are timers on the caller's loop for the same reason.
 *
 * <p>The real-time hop — {@link #invoke} on an event loop with a body in memory, to a container at
 * a plain HTTP address — does not use Vert.x's client but that loop's {@link LoopConnections}:
 * Netty's codec and one exchange object instead of Vert.x's request, response, promise and pool
 * objects (the README's Performance section has what that saves). Streams, spooled bodies and
 * answers, TLS, host names and calls from other threads use Vert.x's client, whose extra cost is
 * small beside theirs.
 */
public final class ContractClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ContractClient.class);

    /** An {@link AsciiString}: hashed once, and written as its bytes, on every request and answer. */
    static final AsciiString CUSTOM_ATTRIBUTES = AsciiString.cached("X-Amzn-SageMaker-Custom-Attributes");

    private final Vertx vertx;
    /** A client for each event loop, its connections owned by that loop. */
    private final IdentityHashMap<EventLoop, HttpClientAgent> byLoop = new IdentityHashMap<>();
    /** The client of callers on no event loop. */
    private final HttpClientAgent others;
    /** Each event loop's plain-Netty connections, for the real-time hop ({@link #invoke}). */
    private final IdentityHashMap<EventLoop, LoopConnections> direct = new IdentityHashMap<>();

    private final long maxAnswerBytes;
    private static final long SAGEMAKER_MAX_PAYLOAD = 6_291_456L;

    /**
     * @param maxConnectionsPerContainer the connections kept to one container; as many requests
     *     again may wait for one of them, and past that a request fails at once with {@link
     *     ThrottlingException}
     */
    public ContractClient(Vertx vertx, int maxConnectionsPerContainer) {
        this(vertx, maxConnectionsPerContainer, 4 * SAGEMAKER_MAX_PAYLOAD);
    }

    /**
     * @param maxAnswerBytes the largest answer read into memory; a larger one fails the invocation
     *     with status 413 as soon as it is known to be larger, and is not read further
     */
    public ContractClient(Vertx vertx, int maxConnectionsPerContainer, long maxAnswerBytes) {
        this.vertx = vertx;
        this.maxAnswerBytes = maxAnswerBytes;
        // Filled here and only read after: safely published by the final field.
        VertxInternal internal = (VertxInternal) vertx;
        internal.nettyEventLoopGroup().forEach(executor -> {
            EventLoop loop = (EventLoop) executor;
            byLoop.put(loop, client(vertx, maxConnectionsPerContainer));
            direct.put(
                    loop,
                    new LoopConnections(
                            loop, internal.transport(), clientOptions(), maxConnectionsPerContainer, maxAnswerBytes));
        });
        this.others = client(vertx, maxConnectionsPerContainer);
    }

    private static HttpClientAgent client(Vertx vertx, int maxConnectionsPerContainer) {
        HttpClientOptions options = clientOptions();
        return vertx.httpClientBuilder()
                .with(options)
                .with(new PoolOptions()
                        .setHttp1MaxSize(maxConnectionsPerContainer)
                        .setMaxWaitQueueSize(maxConnectionsPerContainer))
                .withConnectHandler(connection -> {
                    StrictResponseDecoder.install(connection, options);
                    // A container that exits resets its idle keep-alive connections. The request
                    // on one, if any, fails on its own; without a handler Vert.x logs every reset
                    // as an ERROR.
                    connection.exceptionHandler(
                            error -> LOG.debug("connection to a container failed: {}", error.toString()));
                })
                .build();
    }

    /** The caller's event loop, or null when it runs on none. */
    private static @Nullable EventLoop currentLoop() {
        return loopOf((ContextInternal) Vertx.currentContext());
    }

    /** The context's event loop, when it is an event-loop context and this is its thread. */
    private static @Nullable EventLoop loopOf(@Nullable ContextInternal context) {
        return context != null && context.isEventLoopContext() && context.inThread() ? context.nettyEventLoop() : null;
    }

    private HttpClientAgent clientFor(@Nullable EventLoop loop) {
        HttpClientAgent own = loop == null ? null : byLoop.get(loop);
        return own != null ? own : others;
    }

    /**
     * The client options: public so a test can guard them (Nagle costs ~44 ms per request here).
     *
     * <p>A pooled connection idle for a second is not reused but reopened (on loopback, about
     * 0.1 ms). Containers close idle keep-alive connections on their own clock — gunicorn after
     * 2 s, the nginx of SageMaker's bring-your-own sample after 5 s, the JDK's server after 30 s —
     * and a request sent on a connection just as its container closes it fails; Vert.x would keep
     * it for 60 s. A soak caught exactly that against a JDK-server container.
     */
    public static HttpClientOptions clientOptions() {
        return new HttpClientOptions()
                .setTcpNoDelay(true)
                .setKeepAlive(true)
                .setKeepAliveTimeout(1)
                .setPipelining(false)
                .setConnectTimeout(2_000)
                .setMaxInitialLineLength(8192)
                .setDecompressionSupported(false);
    }

    /** Sends {@code GET /ping}; returns its status, or -1 when the container could not be reached. */
    public int ping(ContractTarget target, Duration timeout) {
        RequestOptions options = request(target, HttpMethod.GET, target.pingPath(), timeout);
        try {
            return exchange(options, null, timeout, null, ContractClient::nobody)
                    .get()
                    .status();
        } catch (ExecutionException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /**
     * Sends {@code POST /invocations} with the request's body and contract headers. Does not block:
     * the answer completes the returned future on an I/O thread.
     *
     * @return completes with the container's answer, or exceptionally with a {@link
     *     StageException} when it answers a status other than 2xx, a {@link StageTimeoutException}
     *     when it does not answer within {@code timeout}, a {@link StageUnreachableException} when
     *     it cannot be reached
     * @param limits for an invocation that is not real-time: where its answer is spooled and how
     *     large it may be; null to read the answer into memory
     */
    public CompletableFuture<StageResponse> invoke(
            ContractTarget target, StageRequest request, Duration timeout, @Nullable InvocationLimits limits) {
        return invoke(target, request, timeout, limits, ContractClient::nobody);
    }

    /**
     * Sends {@code POST /invocations} as {@link #invoke(ContractTarget, StageRequest, Duration,
     * InvocationLimits)} does, and runs {@code whenRefused} on the I/O thread when no connection to
     * the container could be opened (the failure's {@link StageUnreachableException#beforeSending()}):
     * its supervisor learns at once, whichever path the request took.
     */
    public CompletableFuture<StageResponse> invoke(
            ContractTarget target,
            StageRequest request,
            Duration timeout,
            @Nullable InvocationLimits limits,
            Runnable whenRefused) {
        if (limits == null && request.body().file().isEmpty() && isPlainAddress(target)) {
            ContextInternal context = (ContextInternal) Vertx.currentContext();
            EventLoop loop = loopOf(context);
            LoopConnections connections = loop == null ? null : direct.get(loop);
            if (context != null && connections != null) {
                return connections.invoke(target, request, timeout, context, whenRefused);
            }
        }
        return exchange(invocation(target, request, timeout), request.body(), timeout, limits, whenRefused)
                .thenApply(ContractClient::toResponse);
    }

    /** What a caller that has no supervisor to tell passes as {@code whenRefused}. */
    private static void nobody() {}

    /**
     * Whether the real-time hop may take {@link LoopConnections}: plain HTTP to an address (a
     * container Tandem runs listens on loopback). A host name would need resolving on the loop, and
     * TLS a handler of its own; those go through Vert.x's client, as spooled bodies do.
     */
    private static boolean isPlainAddress(ContractTarget target) {
        return !target.tls()
                && (NetUtil.isValidIpV4Address(target.host()) || NetUtil.isValidIpV6Address(target.host()));
    }

    /**
     * Sends {@code POST /invocations} as {@link #invoke} does, for a client that reads the answer as
     * a stream: completes as soon as the container has answered its status and headers, with its
     * body to be read part by part (HTTP/1.1 chunks, or a body of known length, as it arrives). A
     * status other than 2xx fails it as {@link #invoke} would, after reading that answer whole.
     * {@code timeout} bounds the wait for the head and any silence of the container after it.
     */
    public CompletableFuture<StreamedResponse> stream(
            ContractTarget target, StageRequest request, Duration timeout, Runnable whenRefused) {
        EventLoop loop = currentLoop();
        AtomicReference<@Nullable HttpClientRequest> sent = new AtomicReference<>();
        AtomicReference<@Nullable AsyncFile> source = new AtomicReference<>();
        Future<StreamedResponse> future = clientFor(loop)
                .request(invocation(target, request, timeout))
                .compose(outgoing -> {
                    sent.set(outgoing);
                    return send(outgoing, request.body(), source).compose(answer -> head(answer, timeout));
                });
        CompletableFuture<StreamedResponse> result = new CompletableFuture<>();
        future.onComplete(done -> {
            AsyncFile file = source.get();
            if (file != null) {
                file.close();
            }
            if (done.succeeded()) {
                result.complete(done.result());
            } else {
                result.completeExceptionally(
                        failure(done.cause(), target.host(), target.port(), timeout, sent.get(), true, whenRefused));
            }
        });
        return withDeadline(result, loop, timeout).exceptionallyCompose(error -> {
            if (error instanceof TimeoutException) {
                abandon(sent.get());
                return CompletableFuture.failedFuture(new StageTimeoutException(timeout));
            }
            return CompletableFuture.failedFuture(error);
        });
    }

    /** A streamed answer's head: its body paused until read, or the failure its status says. */
    private Future<StreamedResponse> head(HttpClientResponse answer, Duration timeout) {
        if (answer.statusCode() < 200 || answer.statusCode() > 299) {
            return readInMemory(answer, contentLength(answer))
                    .compose(body -> Future.failedFuture(refusal(answer.statusCode(), body)));
        }
        answer.pause();
        return Future.succeededFuture(new StreamedResponse(
                answer.getHeader("Content-Type"),
                answer.getHeader(CUSTOM_ATTRIBUTES),
                new ResponsePublisher(answer, timeout)));
    }

    /**
     * An answer as the server gave it, whatever its status, with all its headers: what a gateway
     * passes on from another Tandem server, errors included.
     */
    public record Answer(int status, MultiMap headers, Payload body) {}

    /**
     * Sends {@code POST /invocations} as {@link #invoke} does, with {@code headers} added, and
     * completes with the answer whatever its status: only a server that cannot be reached ({@link
     * StageUnreachableException}) or does not answer in time ({@link StageTimeoutException}) fails it.
     */
    public CompletableFuture<Answer> forward(
            ContractTarget target, StageRequest request, Map<String, String> headers, Duration timeout) {
        RequestOptions options = invocation(target, request, timeout);
        headers.forEach(options::putHeader);
        return exchange(options, request.body(), timeout, null, ContractClient::nobody)
                .thenApply(exchange -> new Answer(exchange.status(), exchange.headers(), exchange.body()));
    }

    private static RequestOptions invocation(ContractTarget target, StageRequest request, Duration timeout) {
        RequestOptions options = request(target, HttpMethod.POST, target.invocationsPath(), timeout);
        if (request.contentType() != null) {
            options.putHeader("Content-Type", request.contentType());
        }
        if (request.accept() != null) {
            options.putHeader("Accept", request.accept());
        }
        if (request.customAttributes() != null) {
            options.putHeader(CUSTOM_ATTRIBUTES, request.customAttributes());
        }
        if (request.traceparent() != null) {
            options.putHeader("traceparent", request.traceparent());
        }
        return options;
    }

    /** How much of a spooled error answer becomes the failure's message. */
    private static final int ERROR_PREVIEW_CHARS = 64 * 1024;

    private static StageResponse toResponse(Exchange exchange) {
        Payload body = exchange.body();
        if (exchange.status() < 200 || exchange.status() > 299) {
            throw refusal(exchange.status(), body);
        }
        return new StageResponse(body, exchange.contentType(), exchange.customAttributes());
    }

    /** A container's non-2xx answer as the stage's failure; a status outside 4xx and 5xx as 502. */
    static StageException refusal(int answered, Payload body) {
        int status = answered < 400 || answered > 599 ? 502 : answered;
        return new StageException(status, body.file().isPresent() ? body.preview(ERROR_PREVIEW_CHARS) : body.asUtf8());
    }

    private static RequestOptions request(ContractTarget target, HttpMethod method, String path, Duration timeout) {
        return new RequestOptions()
                .setMethod(method)
                .setHost(target.host())
                .setPort(target.port())
                .setSsl(target.tls())
                .setURI(path)
                .setIdleTimeout(timeout.toMillis());
    }

    private record Exchange(int status, MultiMap headers, Payload body) {
        @Nullable
        String contentType() {
            return headers.get("Content-Type");
        }

        @Nullable
        String customAttributes() {
            return headers.get(CUSTOM_ATTRIBUTES);
        }
    }

    /**
     * One request and its whole answer. Fails with {@link StageTimeoutException} once {@code
     * timeout} passes — Vert.x's idle timeout covers a silent connection, the future's own deadline
     * covers a wait for a pooled connection or an answer that trickles in — and with {@link
     * StageUnreachableException} when the container cannot be reached.
     */
    private CompletableFuture<Exchange> exchange(
            RequestOptions options,
            @Nullable Payload body,
            Duration timeout,
            @Nullable InvocationLimits limits,
            Runnable whenRefused) {
        EventLoop loop = currentLoop();
        AtomicReference<@Nullable HttpClientRequest> sent = new AtomicReference<>();
        // The response is read inside the send callback: chained after it instead, from a thread
        // that is not the connection's event loop, the body can arrive before its handler is set,
        // and the exchange never completes (Vert.x documents this race; a test guards it).
        AtomicReference<@Nullable AsyncFile> source = new AtomicReference<>();
        AtomicBoolean answering = new AtomicBoolean();
        Future<Exchange> future = clientFor(loop)
                .request(options)
                .compose(request -> {
                    sent.set(request);
                    return send(request, body, source).compose(answer -> {
                        answering.set(true);
                        return read(answer, limits);
                    });
                })
                .andThen(done -> {
                    // The request's body may still be streaming when the answer's head arrives: its
                    // file is closed only once the whole exchange is over.
                    AsyncFile file = source.get();
                    if (file != null) {
                        file.close();
                    }
                });
        CompletableFuture<Exchange> result = new CompletableFuture<>();
        future.onComplete(done -> {
            if (done.succeeded()) {
                result.complete(done.result());
            } else {
                result.completeExceptionally(failure(
                        done.cause(),
                        options.getHost(),
                        options.getPort(),
                        timeout,
                        sent.get(),
                        answering.get(),
                        whenRefused));
            }
        });
        return withDeadline(result, loop, timeout).exceptionallyCompose(error -> {
            if (error instanceof TimeoutException) {
                abandon(sent.get());
                return CompletableFuture.failedFuture(new StageTimeoutException(timeout));
            }
            return CompletableFuture.failedFuture(error);
        });
    }

    /**
     * What a failed exchange tells the engine: refused, busy, too slow or unreachable; {@code
     * whenRefused} runs when it never had a connection.
     *
     * @param answering whether the answer's head had arrived; streams pass true (not tracked), so
     *     that their failures are never taken for unanswered
     */
    private static Throwable failure(
            Throwable cause,
            String host,
            int port,
            Duration timeout,
            @Nullable HttpClientRequest sent,
            boolean answering,
            Runnable whenRefused) {
        if (cause instanceof StageException refused) {
            return refused;
        }
        if (cause instanceof ConnectionPoolTooBusyException busy) {
            return new ThrottlingException(
                    "Too many requests are waiting for a connection to container " + host + ":" + port
                            + "; retry with backoff.",
                    busy);
        }
        if (ResponsePublisher.isTimeout(cause)) {
            return new StageTimeoutException(timeout);
        }
        if (sent == null) {
            whenRefused.run();
        }
        return new StageUnreachableException(describe(cause), cause, sent == null, !answering);
    }

    /**
     * {@code result}, failed with a {@link TimeoutException} once {@code timeout} passes. On an event
     * loop the deadline is a timer of that loop, set and cancelled on its own thread; elsewhere it is
     * the JDK's, whose scheduler thread is woken for every deadline set: on the loop that was about
     * three futex calls and a context switch a request, a sixth of a hop's CPU.
     */
    // The cancelling stage is a side effect: callers see {@code result} itself, its failures unwrapped.
    @SuppressWarnings("FutureReturnValueIgnored")
    private <T> CompletableFuture<T> withDeadline(
            CompletableFuture<T> result, @Nullable EventLoop loop, Duration timeout) {
        if (loop == null) {
            return result.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        long timer = vertx.setTimer(
                Math.max(1, timeout.toMillis()), fired -> result.completeExceptionally(new TimeoutException()));
        result.whenComplete((done, error) -> vertx.cancelTimer(timer));
        return result;
    }

    private Future<HttpClientResponse> send(
            HttpClientRequest request, @Nullable Payload body, AtomicReference<@Nullable AsyncFile> source) {
        if (body == null) {
            return request.send();
        }
        request.putHeader("Content-Length", Integer.toString(body.size()));
        Path file = body.file().orElse(null);
        if (file == null) {
            return request.send(BufferBytes.writeAllButLast(request, body));
        }
        return vertx.fileSystem()
                .open(file.toString(), new OpenOptions().setRead(true).setWrite(false))
                .compose(stream -> {
                    source.set(stream);
                    return request.send(stream);
                });
    }

    /** The whole answer: in memory, or streamed to a file when the invocation spools large answers. */
    private Future<Exchange> read(HttpClientResponse answer, @Nullable InvocationLimits limits) {
        MultiMap headers = answer.headers();
        long declared = contentLength(answer);
        if (limits == null) {
            return readInMemory(answer, declared).map(body -> new Exchange(answer.statusCode(), headers, body));
        }
        if (declared >= 0 && declared <= limits.inMemoryBytes()) {
            return answer.body()
                    .map(bytes -> new Exchange(answer.statusCode(), headers, Payload.wrap(BufferBytes.of(bytes))));
        }
        if (declared > limits.maxBytes()) {
            return Future.failedFuture(tooLarge(declared, limits.maxBytes()));
        }
        answer.pause();
        Path file = limits.spoolDirectory().resolve("answer-" + UUID.randomUUID() + ".body");
        return vertx.fileSystem()
                .open(file.toString(), new OpenOptions().setWrite(true).setCreateNew(true))
                .compose(out -> spool(answer, out, limits))
                .map(size -> new Exchange(answer.statusCode(), headers, Payload.spooled(file, size)));
    }

    /**
     * The whole answer, up to {@link #maxAnswerBytes}: a container cannot make Tandem hold more in
     * memory than that, whatever it sends or claims to send.
     */
    private Future<Payload> readInMemory(HttpClientResponse answer, long declared) {
        if (declared > maxAnswerBytes) {
            answer.request().reset();
            return Future.failedFuture(tooLarge(declared, maxAnswerBytes));
        }
        Promise<Payload> body = Promise.promise();
        BodyChunks bytes = new BodyChunks();
        answer.handler(chunk -> {
            if (bytes.length() + chunk.length() > maxAnswerBytes) {
                answer.handler(null);
                body.tryFail(tooLarge(bytes.length() + chunk.length(), maxAnswerBytes));
                answer.request().reset();
                return;
            }
            bytes.add(chunk);
        });
        answer.exceptionHandler(body::tryFail);
        answer.endHandler(end -> body.tryComplete(bytes.payload()));
        return body.future();
    }

    /** Writes the answer's body to {@code out} as it arrives, at the pace the disk takes it. */
    private static Future<Long> spool(HttpClientResponse answer, AsyncFile out, InvocationLimits limits) {
        Promise<Long> written = Promise.promise();
        long[] size = {0};
        answer.handler(chunk -> {
            size[0] += chunk.length();
            if (size[0] > limits.maxBytes()) {
                answer.handler(null);
                written.tryFail(tooLarge(size[0], limits.maxBytes()));
                out.close();
                answer.request().reset();
                return;
            }
            out.write(chunk);
            if (out.writeQueueFull()) {
                answer.pause();
                out.drainHandler(drained -> answer.resume());
            }
        });
        answer.exceptionHandler(error -> {
            out.close();
            written.tryFail(error);
        });
        answer.endHandler(end -> out.close().onComplete(closed -> {
            if (closed.succeeded()) {
                written.tryComplete(size[0]);
            } else {
                written.tryFail(closed.cause());
            }
        }));
        answer.resume();
        return written.future();
    }

    static StageException tooLarge(long size, long maxBytes) {
        return new StageException(
                413,
                "The container's answer is at least " + size + " bytes; at most " + maxBytes + " bytes are taken.");
    }

    private static long contentLength(HttpClientResponse answer) {
        String value = answer.getHeader("Content-Length");
        if (value == null) {
            return -1;
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void abandon(@Nullable HttpClientRequest request) {
        if (request != null) {
            // A late answer would otherwise be read into a connection the pool hands to someone else.
            request.reset();
        }
    }

    static String describe(Throwable cause) {
        String message = cause.getMessage();
        return message == null ? cause.getClass().getSimpleName() : message;
    }

    @Override
    public void close() {
        byLoop.values().forEach(HttpClientAgent::close);
        direct.values().forEach(LoopConnections::close);
        others.close();
    }
}
