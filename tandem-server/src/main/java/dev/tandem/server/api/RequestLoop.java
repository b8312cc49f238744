package dev.tandem.server.api;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.http.HttpServerRequestInternal;

/**
 * The event loop a request arrived on: the one thread its response may be written from. The server
 * runs in Vert.x's strict thread mode ({@link dev.tandem.server.http.HttpTransport}), which writes a response straight to
 * its connection instead of through a queue that any thread may feed, and refuses a write from
 * any other thread. Work done elsewhere — on a virtual thread that reads the state store, on a
 * model's own threads — answers through here.
 */
public final class RequestLoop {
    private RequestLoop() {}

    /** Runs {@code write} on {@code request}'s event loop: at once when called there, else queued to it. */
    public static void answer(HttpServerRequest request, Runnable write) {
        ContextInternal context = ((HttpServerRequestInternal) request).context();
        if (context.executor().inThread()) {
            write.run();
        } else {
            context.runOnContext(go -> write.run());
        }
    }
}
