package dev.tandem.runtime.contract;

import dev.tandem.core.error.ThrottlingException;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.core.stage.StageResponse;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.spi.transport.Transport;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The connections one event loop keeps to containers, and the invocations it sends on them, in
 * plain Netty: a request read on this loop goes out, is answered and is answered back on it, with
 * nothing but Netty's HTTP codec between the socket and the engine. This is the hop every
 * real-time request to a container takes, so it is kept to what nginx's proxy does: no promise
 * chains, no per-request handler objects beyond the exchange, one timer per request.
 *
 * <p>All state is touched on the loop's own thread only. A container gets at most {@code
 * maxConnections} connections from this loop; as many requests again may wait for one, and past
 * that a request is refused at once with {@link ThrottlingException}. A connection idle for a second
 * is closed rather than reused, for the reason {@link ContractClient#clientOptions} gives.
 */
final class LoopConnections {
    /** Idle connections older than this are closed, not reused (as {@code setKeepAliveTimeout(1)}). */
    private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final int maxConnections;
    private final Map<ContractTarget, Pool> pools = new HashMap<>();
    /** Whether a sweep of idle connections is due. */
    private boolean sweepDue;

    private boolean closed;

    /** One container's connections from this loop. */
    private static final class Pool {
        final String hostHeader;
        /** Most recently used first. */
        final ArrayDeque<Idle> idle = new ArrayDeque<>();

        final ArrayDeque<HopExchange> waiting = new ArrayDeque<>();
        /** Connections open or opening. */
        int open;

        Pool(ContractTarget target) {
            String host = NetUtil.isValidIpV6Address(target.host()) ? "[" + target.host() + "]" : target.host();
            this.hostHeader = host + ":" + target.port();
        }
    }

    private record Idle(Channel channel, long since) {}

    LoopConnections(
            EventLoop loop, Transport transport, HttpClientOptions options, int maxConnections, long maxAnswerBytes) {
        this.loop = loop;
        this.maxConnections = maxConnections;
        this.bootstrap = new Bootstrap().group(loop).channelFactory(transport.channelFactory(false));
        // The socket options Vert.x's client would set from the same options (TCP_NODELAY above all).
        transport.configure(options, options.getConnectTimeout(), false, bootstrap);
        bootstrap.handler(new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel channel) {
                channel.pipeline()
                        .addLast(StrictResponseDecoder.codec(options))
                        .addLast(new AnswerReader(maxAnswerBytes));
            }
        });
    }

    /** Sends {@code POST /invocations}; to be called on this loop's thread, within {@code context}. */
    // The deadline's cancelling stage is a side effect: callers see the exchange's result itself.
    @SuppressWarnings("FutureReturnValueIgnored")
    CompletableFuture<StageResponse> invoke(
            ContractTarget target,
            StageRequest request,
            Duration timeout,
            ContextInternal context,
            Runnable whenRefused) {
        Pool pool = pools.computeIfAbsent(target, Pool::new);
        HopExchange exchange = new HopExchange(target, pool.hostHeader, request, timeout, context, this, whenRefused);
        ScheduledFuture<?> deadline =
                loop.schedule(exchange::timedOut, Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
        exchange.result.whenComplete((answer, error) -> deadline.cancel(false));
        acquire(pool, exchange);
        return exchange.result;
    }

    private void acquire(Pool pool, HopExchange exchange) {
        Channel channel = reusable(pool);
        if (channel != null) {
            exchange.send(channel);
        } else if (pool.open < maxConnections) {
            connect(pool, exchange);
        } else if (pool.waiting.size() < maxConnections) {
            pool.waiting.add(exchange);
        } else {
            exchange.result.completeExceptionally(
                    new ThrottlingException("Too many requests are waiting for a connection to container "
                            + exchange.target.host() + ":" + exchange.target.port() + "; retry with backoff."));
        }
    }

    /** The most recently used idle connection that is still open and fresh; older ones are closed. */
    @SuppressWarnings("FutureReturnValueIgnored") // the close completes on its own; nothing waits for it
    private @Nullable Channel reusable(Pool pool) {
        long now = System.nanoTime();
        Idle idle;
        while ((idle = pool.idle.pollFirst()) != null) {
            if (idle.channel().isActive() && now - idle.since() < IDLE_NANOS) {
                return idle.channel();
            }
            idle.channel().close();
        }
        return null;
    }

    @SuppressWarnings("FutureReturnValueIgnored") // the close completes on its own; nothing waits for it
    private void connect(Pool pool, HopExchange exchange) {
        pool.open++;
        ChannelFuture connecting = bootstrap.connect(exchange.target.host(), exchange.target.port());
        connecting.addListener(done -> {
            if (!done.isSuccess()) {
                pool.open--;
                exchange.unreachable(done.cause());
                forgetIfUnused(exchange.target, pool);
                return;
            }
            Channel channel = connecting.channel();
            channel.closeFuture().addListener(gone -> closed(exchange.target, pool, channel));
            if (closed) {
                channel.close();
            } else if (exchange.result.isDone()) {
                // It timed out while the connection opened: the connection serves the next one.
                release(exchange.target, channel, true);
            } else {
                exchange.send(channel);
            }
        });
    }

    /** A connection's exchange is over: it carries the next waiting request, idles, or closes. */
    @SuppressWarnings("FutureReturnValueIgnored") // the close completes on its own; nothing waits for it
    void release(ContractTarget target, Channel channel, boolean reusable) {
        Pool pool = pools.get(target);
        if (!reusable || pool == null || closed || !channel.isActive()) {
            channel.close();
            return;
        }
        HopExchange next = nextWaiting(pool);
        if (next != null) {
            next.send(channel);
            return;
        }
        pool.idle.addFirst(new Idle(channel, System.nanoTime()));
        if (!sweepDue) {
            sweepDue = true;
            loop.schedule(this::sweepIdle, IDLE_NANOS, TimeUnit.NANOSECONDS);
        }
    }

    private @Nullable HopExchange nextWaiting(Pool pool) {
        HopExchange next;
        while ((next = pool.waiting.pollFirst()) != null) {
            if (!next.result.isDone()) {
                return next;
            }
        }
        return null;
    }

    /** A connection closed, by either side: its place may open one for a waiting request. */
    private void closed(ContractTarget target, Pool pool, Channel channel) {
        pool.open--;
        pool.idle.removeIf(idle -> idle.channel() == channel);
        HopExchange next = nextWaiting(pool);
        if (next != null && !closed) {
            connect(pool, next);
        } else {
            forgetIfUnused(target, pool);
        }
    }

    /** A container that went away leaves nothing behind. */
    private void forgetIfUnused(ContractTarget target, Pool pool) {
        if (pool.open == 0 && pool.waiting.isEmpty()) {
            pools.remove(target, pool);
        }
    }

    /** A request that timed out before it had a connection gives up its place in the wait. */
    void stopWaiting(HopExchange exchange) {
        Pool pool = pools.get(exchange.target);
        if (pool != null) {
            pool.waiting.remove(exchange);
        }
    }

    /** Closes the connections idle past their time; runs while any connection idles. */
    @SuppressWarnings("FutureReturnValueIgnored") // the close completes on its own; nothing waits for it
    private void sweepIdle() {
        sweepDue = false;
        long now = System.nanoTime();
        boolean anyIdle = false;
        for (Pool pool : new ArrayList<>(pools.values())) {
            Iterator<Idle> idle = pool.idle.descendingIterator();
            while (idle.hasNext()) {
                Idle oldest = idle.next();
                if (now - oldest.since() < IDLE_NANOS) {
                    break;
                }
                idle.remove();
                oldest.channel().close();
            }
            anyIdle |= !pool.idle.isEmpty();
        }
        if (anyIdle && !closed) {
            sweepDue = true;
            loop.schedule(this::sweepIdle, IDLE_NANOS, TimeUnit.NANOSECONDS);
        }
    }

    /** Closes every connection; requests in flight fail as the container's connection closes. */
    @SuppressWarnings("FutureReturnValueIgnored") // the close completes on its own; nothing waits for it
    void close() {
        loop.execute(() -> {
            closed = true;
            List<Channel> all = new ArrayList<>();
            for (Pool pool : pools.values()) {
                pool.idle.forEach(idle -> all.add(idle.channel()));
                pool.idle.clear();
            }
            all.forEach(Channel::close);
        });
    }
}
