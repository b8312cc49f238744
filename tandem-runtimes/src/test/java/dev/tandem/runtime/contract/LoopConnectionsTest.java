package dev.tandem.runtime.contract;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.core.engine.Failures;
import dev.tandem.core.engine.StageTimeoutException;
import dev.tandem.core.engine.StageUnreachableException;
import dev.tandem.core.error.ThrottlingException;
import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.StageException;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.core.stage.StageResponse;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.internal.VertxInternal;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The real-time hop: invocations made on one of the client's event loops, as the server makes
 * them, which go out on that loop's own Netty connections ({@link LoopConnections}). Against a real
 * HTTP server on loopback that counts the connections it is given.
 */
class LoopConnectionsTest {
    private static final int MAX_CONNECTIONS = 4;
    private static final long MAX_ANSWER = 64 * 1024;

    private Vertx serverVertx;
    private Vertx clientVertx;
    private HttpServer server;
    private ContractClient client;
    private ContractTarget target;
    private Context loop;
    private final AtomicInteger connections = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        serverVertx = Vertx.vertx();
        clientVertx = Vertx.vertx();
        server = serverVertx
                .createHttpServer()
                .connectionHandler(connection -> connections.incrementAndGet())
                .requestHandler(request -> request.body().onSuccess(body -> {
                    String mode = request.getHeader(ContractClient.CUSTOM_ATTRIBUTES);
                    switch (mode == null ? "echo" : mode) {
                        case "fail" -> request.response().setStatusCode(418).end("teapot");
                        case "hang" -> {}
                        case "huge" -> request.response().end("x".repeat((int) MAX_ANSWER + 1));
                        default ->
                            request.response()
                                    .putHeader("Content-Type", "text/x-" + request.getHeader("Accept"))
                                    .putHeader(ContractClient.CUSTOM_ATTRIBUTES, "seen=" + mode)
                                    .end(body);
                    }
                }))
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        client = new ContractClient(clientVertx, MAX_CONNECTIONS, MAX_ANSWER);
        target = ContractTarget.loopback(server.actualPort());
        loop = ((VertxInternal) clientVertx).createEventLoopContext();
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        clientVertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        serverVertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void aBodyInPiecesGoesOutWholeAndTheAnswerComesBackOnTheCallersLoop() throws Exception {
        byte[] first = "first piece, ".getBytes(StandardCharsets.UTF_8);
        byte[] second = "second piece".getBytes(StandardCharsets.UTF_8);
        CompletableFuture<String> answeredOn = new CompletableFuture<>();
        String caller = onLoop(() ->
                        CompletableFuture.completedFuture(Thread.currentThread().getName()))
                .get(5, TimeUnit.SECONDS);

        StageResponse response = onLoop(() -> client.invoke(
                                target,
                                new StageRequest(Payload.ofPieces(List.of(first, second)), "text/csv", "json", "a=1"),
                                Duration.ofSeconds(5),
                                null)
                        .whenComplete((done, error) ->
                                answeredOn.complete(Thread.currentThread().getName())))
                .get(5, TimeUnit.SECONDS);

        assertThat(response.body().asUtf8()).isEqualTo("first piece, second piece");
        assertThat(response.contentType()).isEqualTo("text/x-json");
        assertThat(response.customAttributes()).isEqualTo("seen=a=1");
        assertThat(answeredOn.get(5, TimeUnit.SECONDS)).isEqualTo(caller);
    }

    @Test
    void aRequestMadeOnAnAnswerGoesOutOnTheSameLoopsConnection() throws Exception {
        // As the engine does: the next stage is invoked from the previous stage's answer.
        CompletableFuture<String[]> threads = new CompletableFuture<>();
        StageResponse second = onLoop(() -> {
                    String caller = Thread.currentThread().getName();
                    return client.invoke(
                                    target,
                                    new StageRequest(Payload.utf8("one"), null, null, null),
                                    Duration.ofSeconds(5),
                                    null)
                            .thenCompose(first -> client.invoke(
                                    target,
                                    new StageRequest(first.body(), null, null, null),
                                    Duration.ofSeconds(5),
                                    null))
                            .whenComplete((done, error) -> threads.complete(
                                    new String[] {caller, Thread.currentThread().getName()}));
                })
                .get(5, TimeUnit.SECONDS);

        assertThat(second.body().asUtf8()).isEqualTo("one");
        String[] seen = threads.get(5, TimeUnit.SECONDS);
        assertThat(seen[1]).isEqualTo(seen[0]);
        assertThat(connections).as("both went out on the loop's one connection").hasValue(1);
    }

    @Test
    void anEmptyBodyIsSentWithLengthZero() throws Exception {
        StageResponse response =
                invoke(Payload.empty(), null, Duration.ofSeconds(5)).get(5, TimeUnit.SECONDS);

        assertThat(response.body().size()).isZero();
    }

    @Test
    void oneConnectionCarriesRequestAfterRequestAndIsClosedOnceIdleForASecond() throws Exception {
        for (int i = 0; i < 20; i++) {
            assertThat(invoke(Payload.utf8("n" + i), null, Duration.ofSeconds(5))
                            .get(5, TimeUnit.SECONDS)
                            .body()
                            .asUtf8())
                    .isEqualTo("n" + i);
        }
        assertThat(connections).hasValue(1);

        Thread.sleep(1500);
        assertThat(invoke(Payload.utf8("later"), null, Duration.ofSeconds(5))
                        .get(5, TimeUnit.SECONDS)
                        .body()
                        .asUtf8())
                .isEqualTo("later");
        assertThat(connections).as("the idle connection was not reused").hasValue(2);
    }

    @Test
    void anErrorStatusIsTheContainersRefusalAndTheConnectionServesTheNext() throws Exception {
        Throwable refused = failure(invoke(Payload.utf8("x"), "fail", Duration.ofSeconds(5)));

        assertThat(refused).isInstanceOfSatisfying(StageException.class, e -> {
            assertThat(e.status()).isEqualTo(418);
            assertThat(e.getMessage()).isEqualTo("teapot");
        });
        assertThat(invoke(Payload.utf8("next"), null, Duration.ofSeconds(5))
                        .get(5, TimeUnit.SECONDS)
                        .body()
                        .asUtf8())
                .isEqualTo("next");
        assertThat(connections).hasValue(1);
    }

    @Test
    void noAnswerInTimeIsATimeoutAndItsConnectionIsNotReused() throws Exception {
        Throwable late = failure(invoke(Payload.utf8("x"), "hang", Duration.ofMillis(200)));

        assertThat(late).isInstanceOf(StageTimeoutException.class);
        assertThat(invoke(Payload.utf8("next"), null, Duration.ofSeconds(5))
                        .get(5, TimeUnit.SECONDS)
                        .body()
                        .asUtf8())
                .isEqualTo("next");
        assertThat(connections)
                .as("the next request had a connection of its own")
                .hasValue(2);
    }

    @Test
    void aTimeoutComesNoSoonerThanItsDeadlineAndSoonAfterIt() throws Exception {
        long start = System.nanoTime();
        Throwable late = failure(invoke(Payload.utf8("x"), "hang", Duration.ofMillis(100)));
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(late).isInstanceOf(StageTimeoutException.class);
        // The upper bound leaves room for a loaded machine.
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(100)).isLessThan(Duration.ofSeconds(1));
    }

    @Test
    void aClosedPortIsUnreachableBeforeAnythingWasSent() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        CompletableFuture<StageResponse> call = onLoop(() -> client.invoke(
                ContractTarget.loopback(closed),
                new StageRequest(Payload.utf8("x"), null, null, null),
                Duration.ofSeconds(5),
                null));

        assertThat(failure(call))
                .isInstanceOfSatisfying(StageUnreachableException.class, e -> assertThat(e.beforeSending())
                        .isTrue());
    }

    @Test
    void anAnswerOverTheBoundIsRefusedAndItsConnectionClosed() throws Exception {
        Throwable tooLarge = failure(invoke(Payload.utf8("x"), "huge", Duration.ofSeconds(5)));

        assertThat(tooLarge).isInstanceOfSatisfying(StageException.class, e -> {
            assertThat(e.status()).isEqualTo(413);
            assertThat(e.getMessage()).contains("at most " + MAX_ANSWER + " bytes are taken");
        });
        assertThat(invoke(Payload.utf8("next"), null, Duration.ofSeconds(5))
                        .get(5, TimeUnit.SECONDS)
                        .body()
                        .asUtf8())
                .isEqualTo("next");
        assertThat(connections).hasValue(2);
    }

    @Test
    void pastTheConnectionsAndTheirWaitQueueARequestIsRefusedAtOnceAndTheWaitingAreServed() throws Exception {
        // Every connection hangs, as many requests again wait for one: the next is refused at once.
        List<CompletableFuture<StageResponse>> hanging = new ArrayList<>();
        for (int i = 0; i < MAX_CONNECTIONS; i++) {
            hanging.add(invoke(Payload.utf8("x"), "hang", Duration.ofMillis(700)));
        }
        List<CompletableFuture<StageResponse>> waiting = new ArrayList<>();
        for (int i = 0; i < MAX_CONNECTIONS; i++) {
            waiting.add(invoke(Payload.utf8("w" + i), null, Duration.ofSeconds(5)));
        }
        long start = System.nanoTime();
        Throwable refused = failure(invoke(Payload.utf8("x"), null, Duration.ofSeconds(5)));

        assertThat(refused)
                .isInstanceOf(ThrottlingException.class)
                .hasMessageContaining("Too many requests are waiting for a connection to container");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(500));
        // The hanging time out and close their connections; the waiting get new ones, and answers.
        for (CompletableFuture<StageResponse> call : hanging) {
            assertThat(failure(call)).isInstanceOf(StageTimeoutException.class);
        }
        for (int i = 0; i < MAX_CONNECTIONS; i++) {
            assertThat(waiting.get(i).get(5, TimeUnit.SECONDS).body().asUtf8()).isEqualTo("w" + i);
        }
    }

    @Test
    void aRequestThatTimesOutWaitingForAConnectionGivesUpItsPlace() throws Exception {
        for (int i = 0; i < MAX_CONNECTIONS; i++) {
            invoke(Payload.utf8("x"), "hang", Duration.ofSeconds(3));
        }
        List<CompletableFuture<StageResponse>> impatient = new ArrayList<>();
        for (int i = 0; i < MAX_CONNECTIONS; i++) {
            impatient.add(invoke(Payload.utf8("x"), null, Duration.ofMillis(200)));
        }
        for (CompletableFuture<StageResponse> call : impatient) {
            assertThat(failure(call)).isInstanceOf(StageTimeoutException.class);
        }

        // The wait is empty again: the next request waits (and times out) rather than being refused.
        assertThat(failure(invoke(Payload.utf8("x"), null, Duration.ofMillis(200))))
                .isInstanceOf(StageTimeoutException.class);
    }

    private CompletableFuture<StageResponse> invoke(Payload body, String mode, Duration timeout) {
        return onLoop(() -> client.invoke(target, new StageRequest(body, null, null, mode), timeout, null));
    }

    /** What {@code call} returns, called on the client's event loop. */
    private <T> CompletableFuture<T> onLoop(Supplier<CompletableFuture<T>> call) {
        CompletableFuture<T> result = new CompletableFuture<>();
        loop.runOnContext(go -> call.get().whenComplete((value, error) -> {
            if (error != null) {
                result.completeExceptionally(error);
            } else {
                result.complete(value);
            }
        }));
        return result;
    }

    private static Throwable failure(CompletableFuture<?> call) throws InterruptedException {
        try {
            call.get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            return Failures.unwrap(e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("no answer in 10 s", e);
        }
        throw new AssertionError("the call succeeded");
    }
}
