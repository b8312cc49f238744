package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.tandem.it.support.CliProcess;
import dev.tandem.it.support.TandemFixture;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.sagemakerruntime.SageMakerRuntimeAsyncClient;
import software.amazon.awssdk.services.sagemakerruntime.model.InvokeEndpointWithResponseStreamRequest;
import software.amazon.awssdk.services.sagemakerruntime.model.InvokeEndpointWithResponseStreamResponseHandler;
import software.amazon.awssdk.services.sagemakerruntime.model.ModelErrorException;

/**
 * The streaming example: {@code builtin:text-generator}, a character-level language model trained
 * on this repository's documentation when it loads, writing 25 words a second; and the same model
 * followed by {@code builtin:sse}, which turns its stream into Server-Sent Events as it passes.
 */
class GenerateExampleIT {
    private static final Path EXAMPLE = CliProcess.repositoryRoot().resolve("examples/generate");
    private static final String REQUEST =
            """
            {"inputs": "The pipeline", "parameters": {"max_new_tokens": 20, "seed": 11}}""";

    @TempDir
    static Path workDir;

    static TandemFixture tandem;
    static SageMakerRuntimeAsyncClient client;

    @BeforeAll
    static void serveTheExample() {
        tandem = TandemFixture.start(workDir);
        tandem.deployFileAndAwait(EXAMPLE.resolve("pipeline.json"));
        tandem.deployFileAndAwait(EXAMPLE.resolve("pipeline-sse.json"));
        client = TandemFixture.asyncClient(tandem.baseUrl(), "test", "test");
    }

    @AfterAll
    static void stop() {
        client.close();
        tandem.close();
    }

    record Streamed(List<String> parts, long firstPartNanos, long totalNanos) {
        String text() {
            return String.join("", parts);
        }
    }

    private static Streamed stream(String endpoint, String body) throws Exception {
        List<String> parts = Collections.synchronizedList(new ArrayList<>());
        long[] first = {-1};
        long start = System.nanoTime();
        InvokeEndpointWithResponseStreamResponseHandler handler =
                InvokeEndpointWithResponseStreamResponseHandler.builder()
                        .subscriber(InvokeEndpointWithResponseStreamResponseHandler.Visitor.builder()
                                .onPayloadPart(part -> {
                                    if (first[0] < 0) {
                                        first[0] = System.nanoTime() - start;
                                    }
                                    parts.add(part.bytes().asUtf8String());
                                })
                                .build())
                        .build();
        client.invokeEndpointWithResponseStream(
                        InvokeEndpointWithResponseStreamRequest.builder()
                                .endpointName(endpoint)
                                .contentType("application/json")
                                .body(SdkBytes.fromUtf8String(body))
                                .build(),
                        handler)
                .get(60, TimeUnit.SECONDS);
        return new Streamed(parts, first[0], System.nanoTime() - start);
    }

    @Test
    void theModelStreamsWordByWordWhatItWouldAnswerWhole() throws Exception {
        Streamed streamed = stream("generate", REQUEST);
        HttpResponse<String> whole = tandem.invoke("generate", REQUEST, "Content-Type", "application/json");

        assertThat(whole.statusCode()).isEqualTo(200);
        // The same seed draws the same words, whether streamed or not.
        assertThat(streamed.text()).isEqualTo(whole.body());
        assertThat(streamed.parts()).hasSizeGreaterThanOrEqualTo(10);
        assertThat(streamed.text().split("\\s+")).hasSizeGreaterThanOrEqualTo(15);
        // 20 words at 25 a second: the first comes after one word's time, the last after 0.8 s.
        assertThat(Duration.ofNanos(streamed.firstPartNanos())).isLessThan(Duration.ofMillis(400));
        assertThat(Duration.ofNanos(streamed.totalNanos())).isGreaterThan(Duration.ofMillis(700));
    }

    @Test
    void aStageAfterTheModelFramesTheStreamAsServerSentEventsAsItPasses() throws Exception {
        Streamed events = stream("generate-sse", REQUEST);
        Streamed words = stream("generate", REQUEST);

        assertThat(events.parts()).hasSameSizeAs(words.parts());
        assertThat(Duration.ofNanos(events.firstPartNanos())).isLessThan(Duration.ofMillis(400));
        for (int i = 0; i < words.parts().size(); i++) {
            // Each word is one event, its lines "data:" lines, a blank line after it.
            String expected = Arrays.stream(words.parts().get(i).split("\n", -1))
                            .map(line -> "data: " + line + "\n")
                            .collect(Collectors.joining())
                    + "\n";
            assertThat(events.parts().get(i)).isEqualTo(expected);
        }
    }

    @Test
    void aRequestWithoutAPromptIsRefusedBeforeTheStream() {
        Throwable thrown = catchThrowable(() -> stream("generate", "{\"parameters\": {}}"));
        while (thrown != null && !(thrown instanceof ModelErrorException)) {
            thrown = thrown.getCause();
        }
        assertThat(thrown)
                .isInstanceOf(ModelErrorException.class)
                .hasMessageContaining("Received client error (400) from writer")
                .hasMessageContaining("needs \"inputs\": the prompt");
    }
}
