package dev.tandem.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.server.http.HttpTransport;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Answers from other threads, on a server with Tandem's own options: written directly they are
 * refused (the server runs in strict thread mode), through {@link RequestLoop} they are written on
 * the request's event loop.
 */
class RequestLoopTest {
    private Vertx vertx;
    private HttpServer server;
    private final HttpClient client = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        server = vertx.createHttpServer(HttpTransport.serverOptions("127.0.0.1", 0))
                .requestHandler(request -> {
                    switch (request.path()) {
                        case "/on-the-loop" ->
                            request.response()
                                    .end("on " + Thread.currentThread().getName());
                        case "/from-a-virtual-thread" ->
                            Thread.ofVirtual()
                                    .start(() -> RequestLoop.answer(request, () -> request.response()
                                            .end("on " + Thread.currentThread().getName())));
                        default ->
                            Thread.ofVirtual().start(() -> {
                                try {
                                    request.response().end("written from a virtual thread");
                                } catch (IllegalStateException refused) {
                                    RequestLoop.answer(request, () -> request.response()
                                            .setStatusCode(500)
                                            .end("refused: " + refused.getMessage()));
                                }
                            });
                    }
                })
                .listen()
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void anAnswerFromAVirtualThreadIsWrittenOnTheRequestsEventLoop() throws Exception {
        HttpResponse<String> response = get("/from-a-virtual-thread");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).startsWith("on vert.x-eventloop-thread-");
    }

    @Test
    void anAnswerOnTheLoopIsWrittenAtOnce() throws Exception {
        assertThat(get("/on-the-loop").body()).startsWith("on vert.x-eventloop-thread-");
    }

    @Test
    void theServerRefusesAWriteFromAnotherThread() throws Exception {
        HttpResponse<String> response = get("/written-directly");

        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(response.body()).isEqualTo("refused: Only the context thread can write a message");
    }

    private HttpResponse<String> get(String path) throws Exception {
        return client.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + path))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
