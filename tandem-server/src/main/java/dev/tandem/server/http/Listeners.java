package dev.tandem.server.http;

import io.netty.channel.EventLoop;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tandem's HTTP listener, one Vert.x server per event loop on the same port. A Vert.x server runs
 * on the event loop of the context it listens from, so one server would parse every request and
 * write every answer on one core however many the machine has; servers sharing a port have the
 * connections spread over them in turn. Each server listens from a context built on an event loop
 * of its own: listening from wherever the caller happens to be put them all on one loop (the
 * second listened from the first one's callback, on its loop), and one core did all the work.
 */
public final class Listeners {
    private static final Logger log = LoggerFactory.getLogger(Listeners.class);

    private final List<HttpServer> servers = new ArrayList<>();
    /** The context each server listens from, on an event loop of its own. */
    private final List<ContextInternal> contexts = new ArrayList<>();

    private final AtomicInteger openConnections = new AtomicInteger();
    private final ConnectionLimits limits;
    private final String host;
    private final int port;

    public Listeners(
            Vertx vertx,
            HttpServerOptions options,
            ConnectionLimits limits,
            int eventLoops,
            Handler<HttpServerRequest> handler) {
        this.host = options.getHost();
        this.port = options.getPort();
        this.limits = limits;
        VertxInternal internal = (VertxInternal) vertx;
        List<EventLoop> loops = new ArrayList<>();
        internal.nettyEventLoopGroup().forEach(executor -> loops.add((EventLoop) executor));
        for (int i = 0; i < Math.min(eventLoops, loops.size()); i++) {
            contexts.add(internal.contextBuilder().withEventLoop(loops.get(i)).build());
            servers.add(vertx.createHttpServer(options)
                    .connectionHandler(connection -> accept(connection, options))
                    .requestHandler(handler));
        }
    }

    private void accept(HttpConnection connection, HttpServerOptions options) {
        int open = openConnections.incrementAndGet();
        connection.closeHandler(closed -> openConnections.decrementAndGet());
        if (open > limits.maxConnections()) {
            if (open == limits.maxConnections() + 1) {
                log.warn(
                        "{} client connections are open, the most allowed (--max-connections); new ones are closed as they come",
                        limits.maxConnections());
            }
            connection.close();
            return;
        }
        StrictRequestDecoder.install(connection, options, limits);
        // A client that resets its connection is no server error; a request in flight on it
        // fails on its own. Without a handler Vert.x logs every reset as an ERROR.
        connection.exceptionHandler(error -> log.debug("client connection failed: {}", error.toString()));
    }

    /** How many client connections are open. */
    public int openConnections() {
        return openConnections.get();
    }

    /**
     * Listens: every server on the configured host and port, the first one before the others so
     * that they share its socket (Vert.x shares one among servers of equal host and port). Port 0
     * is asked of Vert.x as -1: a random port that the servers listening on -1 share.
     */
    public Future<Void> listen() {
        int shared = port == 0 ? -1 : port;
        return listenOnItsLoop(0, shared).compose(first -> {
            List<Future<HttpServer>> others = new ArrayList<>();
            for (int i = 1; i < servers.size(); i++) {
                others.add(listenOnItsLoop(i, shared));
            }
            return Future.all(others).mapEmpty();
        });
    }

    private Future<HttpServer> listenOnItsLoop(int index, int sharedPort) {
        ContextInternal context = contexts.get(index);
        Promise<HttpServer> listening = context.promise();
        context.runOnContext(go -> servers.get(index).listen(sharedPort, host).onComplete(listening));
        return listening.future();
    }

    /** The port listened on. */
    public int actualPort() {
        return servers.get(0).actualPort();
    }

    /**
     * Stops accepting connections at once, and closes each connection once its request in flight
     * is answered, or when {@code graceMillis} pass.
     */
    public Future<Void> shutdown(long graceMillis) {
        List<Future<Void>> stopping = new ArrayList<>();
        for (HttpServer server : servers) {
            stopping.add(server.shutdown(graceMillis, TimeUnit.MILLISECONDS));
        }
        return Future.all(stopping).mapEmpty();
    }
}
