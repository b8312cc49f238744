package dev.tandem.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.core.error.ModelErrorException;
import dev.tandem.core.error.ServiceUnavailableException;
import dev.tandem.core.error.ValidationException;
import dev.tandem.core.model.ExecutionMode;
import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.Stage;
import dev.tandem.core.stage.StageException;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.core.stage.StageResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PipelineEngineTest {
    private final PipelineEngine engine = new PipelineEngine(100);
    private final List<String> calls = new ArrayList<>();

    /** An in-process stage as the engine sees it, run on the calling thread. */
    private static PipelineStage stage(String name, Stage stage) {
        return new PipelineStage(name, AsyncStage.of(stage, Runnable::run));
    }

    /** A stage that records what it got and answers its input plus its name, in its own type. */
    private PipelineStage recording(String name, String responseType) {
        return stage(name, request -> {
            calls.add(name + ": ct=" + request.contentType() + " accept=" + request.accept() + " ca="
                    + request.customAttributes());
            return new StageResponse(Payload.utf8(request.body().asUtf8() + ">" + name), responseType, name + "-attrs");
        });
    }

    private static StageRequest request(String body) {
        return new StageRequest(Payload.utf8(body), "text/csv", "application/json", "session=1");
    }

    @Test
    void serialPassesEachResponseOnWithItsContentTypeAndAcceptOnlyToTheLast() {
        InvocationResult result = engine.invokeAndWait(
                ExecutionMode.SERIAL,
                List.of(
                        recording("a", "application/x-a"),
                        recording("b", "application/x-b"),
                        recording("c", "application/json")),
                request("in"),
                null);

        assertThat(result.response().body().asUtf8()).isEqualTo("in>a>b>c");
        assertThat(result.response().contentType()).isEqualTo("application/json");
        assertThat(result.response().customAttributes()).isEqualTo("c-attrs");
        assertThat(calls)
                .containsExactly(
                        "a: ct=text/csv accept=null ca=session=1",
                        "b: ct=application/x-a accept=null ca=session=1",
                        "c: ct=application/x-b accept=application/json ca=session=1");
        assertThat(result.timings()).extracting(StageTiming::hostname).containsExactly("a", "b", "c");
        assertThat(result.modelNanos()).isPositive();
    }

    @Test
    void singleStageGetsTheClientsAccept() {
        engine.invokeAndWait(ExecutionMode.SERIAL, List.of(recording("only", "text/plain")), request("x"), null);

        assertThat(calls).containsExactly("only: ct=text/csv accept=application/json ca=session=1");
    }

    @Test
    void failingStageStopsTheChainWithAModelErrorNamingIt() {
        PipelineStage failing = stage("post", r -> {
            throw new StageException(503, "overloaded");
        });

        assertThatThrownBy(() -> engine.invokeAndWait(
                        ExecutionMode.SERIAL,
                        List.of(recording("a", "t"), failing, recording("c", "t")),
                        request("x"),
                        null))
                .isInstanceOfSatisfying(ModelErrorException.class, e -> {
                    assertThat(e.container()).isEqualTo("post");
                    assertThat(e.originalStatusCode()).isEqualTo(503);
                    assertThat(e.originalMessage()).isEqualTo("overloaded");
                    assertThat(e.getMessage())
                            .startsWith("Received server error (503) from post with message \"overloaded\"");
                });
        assertThat(calls).hasSize(1);
    }

    @Test
    void unexpectedExceptionInAStageIsAServerErrorOfThatStage() {
        PipelineStage broken = stage("builtin", r -> {
            throw new IllegalArgumentException("bad shape [1, 3]");
        });

        assertThatThrownBy(() -> engine.invokeAndWait(ExecutionMode.SERIAL, List.of(broken), request("x"), null))
                .isInstanceOfSatisfying(ModelErrorException.class, e -> {
                    assertThat(e.originalStatusCode()).isEqualTo(500);
                    assertThat(e.getMessage()).contains("from builtin with message \"bad shape [1, 3]\"");
                    assertThat(e.getCause()).isInstanceOf(IllegalArgumentException.class);
                });
    }

    @Test
    void timeoutIsAModelErrorNamingTheContainer() {
        PipelineStage slow = stage("slow", r -> {
            throw new StageTimeoutException(Duration.ofSeconds(60));
        });

        assertThatThrownBy(() -> engine.invokeAndWait(ExecutionMode.SERIAL, List.of(slow), request("x"), null))
                .isInstanceOf(ModelErrorException.class)
                .hasMessageStartingWith(
                        "Your invocation timed out while waiting for a response from container slow (no answer within 60 seconds)");
    }

    @Test
    void aContainerThatRefusesTheConnectionIsUnavailableNotAModelError() {
        PipelineStage down = stage("model", r -> {
            throw new StageUnreachableException(
                    "Connection refused: /127.0.0.1:20001", new java.net.ConnectException("refused"), true);
        });

        assertThatThrownBy(() -> engine.invokeAndWait(ExecutionMode.SERIAL, List.of(down), request("x"), null))
                .isInstanceOfSatisfying(
                        ServiceUnavailableException.class,
                        e -> assertThat(e.kind().httpStatus()).isEqualTo(503))
                .hasMessage("Container model is not accepting connections (Connection refused: /127.0.0.1:20001);"
                        + " it may be restarting. Retry the request.")
                .hasCauseInstanceOf(StageUnreachableException.class)
                .isInstanceOfSatisfying(ContainerRefusedException.class, e -> {
                    assertThat(e.container()).isEqualTo("model");
                    // The first container refused: nothing ran, another instance may take it.
                    assertThat(e.nothingRan()).isTrue();
                });
    }

    @Test
    void aLaterContainerThatRefusesSaysThatEarlierOnesRan() {
        PipelineStage down = stage("model", r -> {
            throw new StageUnreachableException(
                    "Connection refused: /127.0.0.1:20002", new java.net.ConnectException("refused"), true);
        });

        assertThatThrownBy(() -> engine.invokeAndWait(
                        ExecutionMode.SERIAL, List.of(recording("pre", "text/plain"), down), request("x"), null))
                .isInstanceOfSatisfying(ContainerRefusedException.class, e -> {
                    assertThat(e.container()).isEqualTo("model");
                    assertThat(e.nothingRan()).isFalse();
                });
        assertThat(calls).hasSize(1);
    }

    @Test
    void aContainerThatDropsTheConnectionMidRequestIsAModelError() {
        PipelineStage crashed = stage("model", r -> {
            throw new StageUnreachableException("Connection reset", new java.io.IOException("reset"), false);
        });

        assertThatThrownBy(() -> engine.invokeAndWait(ExecutionMode.SERIAL, List.of(crashed), request("x"), null))
                .isInstanceOfSatisfying(ModelErrorException.class, e -> assertThat(e.container())
                        .isEqualTo("model"))
                .hasMessage("Could not reach container model: Connection reset.");
    }

    @Test
    void longErrorBodiesAreTruncated() {
        String huge = "e".repeat(10_000);
        PipelineStage failing = stage("f", r -> {
            throw new StageException(500, huge);
        });

        assertThatThrownBy(() -> engine.invokeAndWait(ExecutionMode.SERIAL, List.of(failing), request("x"), null))
                .isInstanceOfSatisfying(ModelErrorException.class, e -> {
                    assertThat(e.originalMessage()).hasSize(PipelineEngine.ORIGINAL_MESSAGE_CHARS + 1);
                    assertThat(e.getMessage()).hasSizeLessThan(1000);
                });
    }

    @Test
    void payloadBetweenStagesOverTheLimitNamesBothStages() {
        PipelineStage big = stage("big", r -> StageResponse.of(Payload.wrap(new byte[101]), "x"));

        assertThatThrownBy(() -> engine.invokeAndWait(
                        ExecutionMode.SERIAL, List.of(big, recording("next", "t")), request("x"), null))
                .isInstanceOf(ModelErrorException.class)
                .hasMessage(
                        "Received response from big with status code 200. However, the request payload from big to next"
                                + " is 101 bytes, which has exceeded the maximum limit of 100 bytes.");
        assertThat(calls).isEmpty();
    }

    @Test
    void lastStageMayAnswerMoreThanTheLimitBetweenStages() {
        PipelineStage big = stage("big", r -> StageResponse.of(Payload.wrap(new byte[101]), "x"));

        assertThat(engine.invokeAndWait(ExecutionMode.SERIAL, List.of(big), request("x"), null)
                        .response()
                        .body()
                        .size())
                .isEqualTo(101);
    }

    @Test
    void directRunsOnlyTheTarget() {
        InvocationResult result = engine.invokeAndWait(
                ExecutionMode.DIRECT, List.of(recording("a", "t"), recording("b", "t")), request("x"), "b");

        assertThat(result.response().body().asUtf8()).isEqualTo("x>b");
        assertThat(calls).containsExactly("b: ct=text/csv accept=application/json ca=session=1");
    }

    @Test
    void directWithoutTargetOrWithAnUnknownOneIsAValidationError() {
        List<PipelineStage> stages = List.of(recording("a", "t"), recording("b", "t"));

        assertThatThrownBy(() -> engine.invokeAndWait(ExecutionMode.DIRECT, stages, request("x"), null))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("one of a, b");
        assertThatThrownBy(() -> engine.invokeAndWait(ExecutionMode.DIRECT, stages, request("x"), "z"))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("'z' is not a container of this model");
    }

    @Test
    void serialWithATargetIsAValidationError() {
        assertThatThrownBy(() ->
                        engine.invokeAndWait(ExecutionMode.SERIAL, List.of(recording("a", "t")), request("x"), "a"))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("Serial mode");
    }

    @Test
    void stageExceptionRefusesStatusesOutsideFourAndFiveHundreds() {
        assertThatThrownBy(() -> new StageException(200, "fine")).isInstanceOf(IllegalArgumentException.class);
        Stage stage = r -> {
            throw StageException.badInput("no");
        };
        assertThatThrownBy(() -> stage.invoke(request("x")))
                .isInstanceOfSatisfying(
                        StageException.class, e -> assertThat(e.status()).isEqualTo(400));
    }

    @Test
    void stagesThatAnswerLaterOnOtherThreadsRunInOrder() {
        java.util.concurrent.Executor later =
                java.util.concurrent.CompletableFuture.delayedExecutor(20, java.util.concurrent.TimeUnit.MILLISECONDS);
        AsyncStage slowUpper = request -> java.util.concurrent.CompletableFuture.supplyAsync(
                () -> StageResponse.of(
                        Payload.utf8(request.body().asUtf8().toUpperCase(java.util.Locale.ROOT)), "text/plain"),
                later);

        var pending = engine.invoke(
                ExecutionMode.SERIAL,
                List.of(new PipelineStage("up", slowUpper), recording("after", "t")),
                request("abc"),
                null);

        assertThat(pending).isNotDone();
        InvocationResult result = pending.join();
        assertThat(result.response().body().asUtf8()).isEqualTo("ABC>after");
        assertThat(result.timings().get(0).duration()).isGreaterThanOrEqualTo(Duration.ofMillis(15));
        assertThat(calls).containsExactly("after: ct=text/plain accept=application/json ca=session=1");
    }

    @Test
    void blockingStagesRunOnTheGivenExecutorAndNonBlockingOnesInline() {
        List<String> threads = new ArrayList<>();
        java.util.concurrent.Executor named =
                task -> Thread.ofPlatform().name("blocking-pool").start(task);
        Stage blocking = r -> {
            threads.add(Thread.currentThread().getName());
            return StageResponse.of(r.body(), null);
        };
        Stage inline = new Stage() {
            @Override
            public StageResponse invoke(StageRequest r) {
                threads.add(Thread.currentThread().getName());
                return StageResponse.of(r.body(), null);
            }

            @Override
            public boolean nonBlocking() {
                return true;
            }
        };

        AsyncStage.of(blocking, named)
                .invoke(request("x"))
                .toCompletableFuture()
                .join();
        AsyncStage.of(inline, named).invoke(request("x")).toCompletableFuture().join();

        assertThat(threads)
                .containsExactly("blocking-pool", Thread.currentThread().getName());
    }
}
