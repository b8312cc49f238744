package dev.tandem.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.core.error.ModelErrorException;
import dev.tandem.core.model.ExecutionMode;
import dev.tandem.core.stage.PartSource;
import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.ResponseStream;
import dev.tandem.core.stage.Stage;
import dev.tandem.core.stage.StageException;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.core.stage.StageResponse;
import dev.tandem.core.stage.StreamCancelledException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Streamed invocations: which stages stream, what a reader gets, and how a stream ends. */
class StreamingEngineTest {
    private final PipelineEngine engine = new PipelineEngine(1_000);
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    @AfterEach
    void stop() {
        threads.shutdownNow();
    }

    private PipelineStage stage(String name, Stage stage) {
        return new PipelineStage(name, AsyncStage.of(stage, threads));
    }

    /** Answers its input with "!" added, whole. */
    private static final Stage SHOUT =
            request -> StageResponse.of(Payload.utf8(request.body().asUtf8() + "!"), "text/x-shout");

    /** Streams its input back a character at a time. */
    private static final class Spell implements Stage {
        final AtomicInteger written = new AtomicInteger();
        volatile boolean cancelled;

        @Override
        public StageResponse invoke(StageRequest request) {
            return StageResponse.of(request.body(), "text/x-spelled");
        }

        @Override
        public boolean streams() {
            return true;
        }

        @Override
        public void stream(StageRequest request, ResponseStream out) {
            out.start("text/x-spelled", "spelled=1");
            try {
                for (char c : request.body().asUtf8().toCharArray()) {
                    out.write(String.valueOf(c));
                    written.incrementAndGet();
                }
            } catch (StreamCancelledException e) {
                cancelled = true;
                throw e;
            }
        }
    }

    /** Upper-cases a stream as it passes. */
    private static final Stage UPPER = new Stage() {
        @Override
        public StageResponse invoke(StageRequest request) {
            return StageResponse.of(Payload.utf8(request.body().asUtf8().toUpperCase(Locale.ROOT)), "text/x-upper");
        }

        @Override
        public boolean consumesStream() {
            return true;
        }

        @Override
        public void consume(StageRequest request, PartSource in, ResponseStream out) {
            out.start("text/x-upper", null);
            for (byte[] part = in.next(); part != null; part = in.next()) {
                out.write(new String(part, java.nio.charset.StandardCharsets.UTF_8).toUpperCase(Locale.ROOT));
            }
        }
    };

    /** Reads a whole stream: its parts as text, or its failure. */
    private static final class Reader implements Flow.Subscriber<Payload> {
        final List<String> parts = new CopyOnWriteArrayList<>();
        final CompletableFuture<List<String>> done = new CompletableFuture<>();
        Flow.Subscription subscription;

        @Override
        public void onSubscribe(Flow.Subscription given) {
            subscription = given;
            given.request(1);
        }

        @Override
        public void onNext(Payload item) {
            parts.add(item.asUtf8());
            subscription.request(1);
        }

        @Override
        public void onError(Throwable error) {
            done.completeExceptionally(error);
        }

        @Override
        public void onComplete() {
            done.complete(parts);
        }
    }

    private StreamedInvocation start(List<PipelineStage> stages, String body) throws Exception {
        return engine.invokeStreaming(
                        ExecutionMode.SERIAL,
                        stages,
                        new StageRequest(Payload.utf8(body), "text/plain", null, null),
                        null)
                .get(5, TimeUnit.SECONDS);
    }

    private static List<String> readAll(StreamedInvocation invocation) throws Exception {
        Reader reader = new Reader();
        invocation.response().parts().subscribe(reader);
        return reader.done.get(5, TimeUnit.SECONDS);
    }

    @Test
    void theStagesBeforeRunWholeAndTheLastStreamsItsParts() throws Exception {
        StreamedInvocation invocation = start(List.of(stage("shout", SHOUT), stage("spell", new Spell())), "hey");

        assertThat(invocation.response().contentType()).isEqualTo("text/x-spelled");
        assertThat(invocation.response().customAttributes()).isEqualTo("spelled=1");
        assertThat(invocation.streamingStages()).isEqualTo(1);
        assertThat(invocation.timings()).extracting(StageTiming::hostname).containsExactly("shout", "spell");
        assertThat(readAll(invocation)).containsExactly("h", "e", "y", "!");
    }

    @Test
    void stagesThatConsumeStreamsTransformTheStreamAsItPasses() throws Exception {
        StreamedInvocation invocation =
                start(List.of(stage("spell", new Spell()), stage("upper", UPPER), stage("again", UPPER)), "abc");

        assertThat(invocation.streamingStages()).isEqualTo(3);
        assertThat(invocation.response().contentType()).isEqualTo("text/x-upper");
        assertThat(readAll(invocation)).containsExactly("A", "B", "C");
    }

    @Test
    void aStageThatDoesNotStreamAnswersOnePart() throws Exception {
        StreamedInvocation invocation = start(List.of(stage("shout", SHOUT)), "hey");

        assertThat(readAll(invocation)).containsExactly("hey!");
    }

    @Test
    void aFailureBeforeTheStreamStartsIsTheUsualModelError() {
        Stage refusing = request -> {
            throw StageException.badInput("no prompt");
        };
        assertThatThrownBy(() -> start(List.of(stage("model", refusing)), "x"))
                .hasCauseInstanceOf(ModelErrorException.class)
                .hasMessageContaining("Received client error (400) from model with message \"no prompt\"");
    }

    @Test
    void aFailureInsideTheStreamNamesTheStageWhoseStreamBroke() throws Exception {
        Stage breaking = new Stage() {
            @Override
            public StageResponse invoke(StageRequest request) {
                throw new UnsupportedOperationException();
            }

            @Override
            public boolean streams() {
                return true;
            }

            @Override
            public void stream(StageRequest request, ResponseStream out) {
                out.write("first");
                throw new IllegalStateException("out of memory on the GPU");
            }
        };
        StreamedInvocation invocation = start(List.of(stage("model", breaking), stage("upper", UPPER)), "x");

        assertThatThrownBy(() -> readAll(invocation))
                .cause()
                .isInstanceOf(StreamInterruptedException.class)
                .hasMessage("model: out of memory on the GPU")
                .extracting(e -> ((StreamInterruptedException) e).hostname())
                .isEqualTo("model");
    }

    @Test
    void cancellingTheStreamStopsTheStageThatWritesIt() throws Exception {
        Spell spell = new Spell();
        StreamedInvocation invocation = start(List.of(stage("spell", spell)), "a long answer nobody reads");
        invocation.response().parts().subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                subscription.request(2);
                threads.execute(() -> {
                    sleep(Duration.ofMillis(100));
                    subscription.cancel();
                });
            }

            @Override
            public void onNext(Payload item) {}

            @Override
            public void onError(Throwable throwable) {}

            @Override
            public void onComplete() {}
        });
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!spell.cancelled && System.nanoTime() < deadline) {
            sleep(Duration.ofMillis(10));
        }
        assertThat(spell.cancelled).isTrue();
        // It wrote only what was asked for: the reader's pace is the writer's.
        assertThat(spell.written.get()).isEqualTo(2);
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
