package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.core.runtime.ContainerStatus;
import dev.tandem.core.runtime.RunningContainer;
import dev.tandem.it.support.CliProcess;
import dev.tandem.it.support.EventStreamReader;
import dev.tandem.it.support.TandemFixture;
import dev.tandem.server.endpoint.Endpoint;
import dev.tandem.server.endpoint.Instance;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.sagemaker.SageMakerClient;
import software.amazon.awssdk.services.sagemaker.model.CaptureMode;
import software.amazon.awssdk.services.sagemaker.model.CaptureOption;
import software.amazon.awssdk.services.sagemaker.model.EndpointStatus;
import software.amazon.awssdk.services.sagemaker.model.ProductionVariant;
import software.amazon.awssdk.services.sagemakerruntime.SageMakerRuntimeAsyncClient;
import software.amazon.awssdk.services.sagemakerruntime.model.InvokeEndpointWithResponseStreamRequest;
import software.amazon.awssdk.services.sagemakerruntime.model.InvokeEndpointWithResponseStreamResponse;
import software.amazon.awssdk.services.sagemakerruntime.model.InvokeEndpointWithResponseStreamResponseHandler;
import software.amazon.awssdk.services.sagemakerruntime.model.ModelErrorException;
import software.amazon.awssdk.services.sagemakerruntime.model.ModelStreamErrorException;
import software.amazon.awssdk.services.sagemakerruntime.model.ValidationErrorException;

/**
 * InvokeEndpointWithResponseStream through real child-process containers that answer chunked over
 * time, driven by the AWS SDK for Java v2's async client (retries off: the SDK re-sends a whole
 * request on an in-stream error), by boto3 where it is installed, and by raw HTTP where a test
 * needs to read at its own pace or hang up.
 */
class ResponseStreamIT {
    /** The invocation timeout, which is also how long a stream may stay silent. */
    private static final Duration SILENCE = Duration.ofSeconds(2);

    private static final String PARTS = "hello\npart-1\npart-2\npart-3\npart-4\npart-5\n";

    @TempDir
    static Path workDir;

    static TandemFixture tandem;
    static SageMakerRuntimeAsyncClient client;

    @BeforeAll
    static void start() {
        tandem = TandemFixture.start(workDir, c -> c.withRuntime(c.runtime().withInvocationTimeout(SILENCE)));
        tandem.deployAndAwait(
                """
        {"ModelName": "streamer", "PrimaryContainer":
          {"Image": "exec:test-container", "Environment": {"BEHAVIOUR": "stream"}}}
        """);
        tandem.deployAndAwait(
                """
        {"ModelName": "chain", "Containers": [
          {"ContainerHostname": "pre", "Image": "exec:test-container",
           "Environment": {"TAG": "pre", "RESPONSE_CONTENT_TYPE": "text/x-pre"}},
          {"ContainerHostname": "model", "Image": "exec:test-container",
           "Environment": {"BEHAVIOUR": "stream", "STREAM_PARTS": "3", "STREAM_INTERVAL_MS": "100",
                           "RESPONSE_CONTENT_TYPE": "text/x-tokens"}}]}
        """);
        tandem.deployAndAwait(
                """
        {"ModelName": "direct", "InferenceExecutionConfig": {"Mode": "Direct"}, "Containers": [
          {"ContainerHostname": "echo", "Image": "exec:test-container", "Environment": {"TAG": "echo"}},
          {"ContainerHostname": "talker", "Image": "exec:test-container",
           "Environment": {"BEHAVIOUR": "stream", "STREAM_PARTS": "2", "STREAM_INTERVAL_MS": "50"}}]}
        """);
        tandem.deployAndAwait(
                """
        {"ModelName": "dies", "PrimaryContainer": {"Image": "exec:test-container",
          "Environment": {"BEHAVIOUR": "stream-die", "STREAM_PARTS": "2", "STREAM_INTERVAL_MS": "50"}}}
        """);
        tandem.deployAndAwait(
                """
        {"ModelName": "stalls", "PrimaryContainer": {"Image": "exec:test-container",
          "Environment": {"BEHAVIOUR": "stream-stall", "STREAM_PARTS": "2", "STREAM_INTERVAL_MS": "50"}}}
        """);
        tandem.deployAndAwait(
                """
        {"ModelName": "firehose", "PrimaryContainer": {"Image": "exec:test-container",
          "Environment": {"BEHAVIOUR": "stream", "STREAM_BYTES": "268435456"}}}
        """);
        tandem.deployAndAwait(
                """
        {"ModelName": "slow", "PrimaryContainer": {"Image": "exec:test-container",
          "Environment": {"BEHAVIOUR": "stream", "STREAM_PARTS": "40", "STREAM_INTERVAL_MS": "100"}}}
        """);
        tandem.deployAndAwait(
                """
        {"ModelName": "refuses", "PrimaryContainer": {"Image": "exec:test-container",
          "Environment": {"BEHAVIOUR": "fail", "FAIL_STATUS": "400", "FAIL_MESSAGE": "no prompt"}}}
        """);
        // A blocking in-process stage before a streaming container: the container is called from
        // the stage's thread, not from the client's event loop.
        try {
            Path corpus = Files.createDirectories(workDir.resolve("corpus"));
            Files.writeString(corpus.resolve("words.txt"), "the model writes the words of the text again and again ");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        tandem.deployAndAwait(
                """
        {"ModelName": "after-builtin", "Containers": [
          {"ContainerHostname": "writer", "Image": "builtin:text-generator", "ModelDataUrl": "file:corpus",
           "Environment": {"TANDEM_MAX_NEW_TOKENS": "4"}},
          {"ContainerHostname": "model", "Image": "exec:test-container",
           "Environment": {"BEHAVIOUR": "stream", "STREAM_PARTS": "3", "STREAM_INTERVAL_MS": "150"}}]}
        """);
        client = TandemFixture.asyncClient(tandem.baseUrl(), "test", "test");
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        tandem.close();
    }

    /** What the async client received: the response, and each part with when it arrived. */
    record Received(
            InvokeEndpointWithResponseStreamResponse response,
            List<byte[]> parts,
            List<Long> arrivals,
            long sent,
            long finished) {
        String text() {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            parts.forEach(all::writeBytes);
            return all.toString(StandardCharsets.UTF_8);
        }
    }

    private static CompletableFuture<Received> stream(InvokeEndpointWithResponseStreamRequest request) {
        List<byte[]> parts = Collections.synchronizedList(new ArrayList<>());
        List<Long> arrivals = Collections.synchronizedList(new ArrayList<>());
        AtomicReference<InvokeEndpointWithResponseStreamResponse> response = new AtomicReference<>();
        long sent = System.nanoTime();
        InvokeEndpointWithResponseStreamResponseHandler handler =
                InvokeEndpointWithResponseStreamResponseHandler.builder()
                        .onResponse(response::set)
                        .subscriber(InvokeEndpointWithResponseStreamResponseHandler.Visitor.builder()
                                .onPayloadPart(part -> {
                                    arrivals.add(System.nanoTime());
                                    parts.add(part.bytes().asByteArray());
                                })
                                .build())
                        .build();
        return client.invokeEndpointWithResponseStream(request, handler)
                .thenApply(done -> new Received(response.get(), parts, arrivals, sent, System.nanoTime()));
    }

    private static Received streamAndWait(InvokeEndpointWithResponseStreamRequest request) throws Exception {
        return stream(request).get(30, TimeUnit.SECONDS);
    }

    /** The SDK's exception behind a failed stream. */
    private static Throwable failure(InvokeEndpointWithResponseStreamRequest request) {
        Throwable thrown = catchThrowable(() -> stream(request).get(30, TimeUnit.SECONDS));
        while (thrown != null
                && !(thrown instanceof software.amazon.awssdk.awscore.exception.AwsServiceException)
                && thrown.getCause() != null) {
            thrown = thrown.getCause();
        }
        return thrown;
    }

    @Test
    void partsArriveAsTheContainerSendsThemAndAddUpToItsAnswer() throws Exception {
        Received received = streamAndWait(InvokeEndpointWithResponseStreamRequest.builder()
                .endpointName("streamer")
                .contentType("text/plain")
                .body(SdkBytes.fromUtf8String("hello"))
                .build());

        assertThat(received.text()).isEqualTo(PARTS);
        assertThat(received.parts()).hasSizeGreaterThanOrEqualTo(2);
        // The container takes 5 × 200 ms; the first part (its echo) comes at once.
        long firstPart = received.arrivals().get(0) - received.sent();
        long total = received.finished() - received.sent();
        assertThat(Duration.ofNanos(firstPart)).isLessThan(Duration.ofMillis(600));
        assertThat(Duration.ofNanos(total)).isGreaterThan(Duration.ofMillis(900));
        assertThat(received.response().contentType()).isEqualTo("text/plain; charset=utf-8");
        assertThat(received.response().invokedProductionVariant()).isEqualTo("AllTraffic");

        // Its time to first part and its whole time are metrics of the variant.
        String metrics = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(tandem.baseUrl().resolve("/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        assertThat(metrics)
                .containsPattern(
                        "tandem_stream_first_part_seconds_count\\{endpoint=\"streamer\",variant=\"AllTraffic\"} [1-9]")
                .containsPattern(
                        "tandem_stream_duration_seconds_count\\{endpoint=\"streamer\",variant=\"AllTraffic\"} [1-9]")
                .containsPattern(
                        "tandem_container_invocations_total\\{container=\"primary\",endpoint=\"streamer\",variant=\"AllTraffic\"} [1-9]");
    }

    @Test
    void theLastStageOfAPipelineStreamsWhatTheStagesBeforeItAnswered() throws Exception {
        Received received = streamAndWait(InvokeEndpointWithResponseStreamRequest.builder()
                .endpointName("chain")
                .contentType("text/plain")
                .accept("text/x-tokens")
                .body(SdkBytes.fromUtf8String("prompt"))
                .build());

        assertThat(received.text())
                .isEqualTo("prompt>pre(ct=text/plain,accept=null,ca=null)\npart-1\npart-2\npart-3\n");
        assertThat(received.parts()).hasSizeGreaterThanOrEqualTo(2);
        assertThat(received.response().contentType()).isEqualTo("text/x-tokens");
    }

    @Test
    void aContainerCalledFromAnInProcessStagesThreadStreamsToo() throws Exception {
        Received received = streamAndWait(InvokeEndpointWithResponseStreamRequest.builder()
                .endpointName("after-builtin")
                .contentType("text/plain")
                .body(SdkBytes.fromUtf8String("the"))
                .build());

        assertThat(received.text()).endsWith("\npart-1\npart-2\npart-3\n");
        assertThat(received.parts()).hasSizeGreaterThanOrEqualTo(2);
        assertThat(received.arrivals().getLast() - received.arrivals().getFirst())
                .isGreaterThan(Duration.ofMillis(250).toNanos());
    }

    @Test
    void aDirectModeEndpointStreamsTheTargetContainer() throws Exception {
        Received received = streamAndWait(InvokeEndpointWithResponseStreamRequest.builder()
                .endpointName("direct")
                .targetContainerHostname("talker")
                .body(SdkBytes.fromUtf8String("hi"))
                .build());

        assertThat(received.text()).isEqualTo("hi\npart-1\npart-2\n");
    }

    @Test
    void errorsBeforeTheStreamAreOrdinaryErrors() {
        assertThat(failure(InvokeEndpointWithResponseStreamRequest.builder()
                        .endpointName("nowhere")
                        .body(SdkBytes.fromUtf8String("x"))
                        .build()))
                .isInstanceOf(ValidationErrorException.class)
                .hasMessageContaining("Endpoint nowhere of account");
        assertThat(failure(InvokeEndpointWithResponseStreamRequest.builder()
                        .endpointName("refuses")
                        .body(SdkBytes.fromUtf8String("x"))
                        .build()))
                .isInstanceOf(ModelErrorException.class)
                .hasMessageContaining("Received client error (400) from primary with message \"no prompt\"");
        assertThat(failure(InvokeEndpointWithResponseStreamRequest.builder()
                        .endpointName("streamer")
                        .sessionId("my-session")
                        .body(SdkBytes.fromUtf8String("x"))
                        .build()))
                .isInstanceOf(ValidationErrorException.class)
                .hasMessageContaining("no stateful sessions");
        assertThat(failure(InvokeEndpointWithResponseStreamRequest.builder()
                        .endpointName("chain")
                        .targetContainerHostname("model")
                        .body(SdkBytes.fromUtf8String("x"))
                        .build()))
                .isInstanceOf(ValidationErrorException.class)
                .hasMessageContaining("Serial mode");
    }

    @Test
    void aContainerThatDiesMidStreamEndsItWithStreamBroken() throws Exception {
        int restarts = dying().status().restarts();
        Throwable thrown = catchThrowable(() -> stream(InvokeEndpointWithResponseStreamRequest.builder()
                        .endpointName("dies")
                        .body(SdkBytes.fromUtf8String("going"))
                        .build())
                .get(30, TimeUnit.SECONDS));
        Throwable cause = thrown;
        while (cause != null && !(cause instanceof ModelStreamErrorException)) {
            cause = cause.getCause();
        }
        assertThat(cause).as("ModelStreamError in %s", thrown).isNotNull();
        ModelStreamErrorException error = (ModelStreamErrorException) cause;
        assertThat(error.errorCode()).isEqualTo("StreamBroken");
        assertThat(error.getMessage()).contains("primary");
        // Its parts before the break were delivered: read them raw, with their checksums, once the
        // container is back.
        awaitRestarted(restarts);
        restarts = dying().status().restarts();
        List<EventStreamReader.Message> messages = rawMessages("dies", "again");
        awaitRestarted(restarts);
        assertThat(messages.get(0).header(":event-type")).isEqualTo("PayloadPart");
        EventStreamReader.Message last = messages.getLast();
        assertThat(last.header(":message-type")).isEqualTo("exception");
        assertThat(last.header(":exception-type")).isEqualTo("ModelStreamError");
        JsonNode body = new ObjectMapper().readTree(last.payload());
        assertThat(body.path("ErrorCode").asText()).isEqualTo("StreamBroken");
    }

    @Test
    void aContainerSilentPastTheTimeoutEndsItWithModelInvocationTimeExceeded() {
        long start = System.nanoTime();
        Throwable thrown = failure(InvokeEndpointWithResponseStreamRequest.builder()
                .endpointName("stalls")
                .body(SdkBytes.fromUtf8String("x"))
                .build());
        assertThat(thrown).isInstanceOf(ModelStreamErrorException.class);
        assertThat(((ModelStreamErrorException) thrown).errorCode()).isEqualTo("ModelInvocationTimeExceeded");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(SILENCE, SILENCE.multipliedBy(4));
        // The instance's place is given back.
        Instance instance = tandem.server()
                .endpoints()
                .find("stalls")
                .orElseThrow()
                .variants()
                .get(0)
                .instances()
                .get(0);
        awaitTrue(() -> instance.outstanding() == 0);
    }

    @Test
    void aSlowClientSlowsTheContainerInsteadOfFillingMemory() throws Exception {
        HttpResponse<InputStream> response = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(streamUri("firehose"))
                                .POST(HttpRequest.BodyPublishers.ofString("go"))
                                .build(),
                        HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/vnd.amazon.eventstream");
        try (InputStream in = response.body()) {
            EventStreamReader reader = new EventStreamReader(in);
            EventStreamReader.Message first = reader.next();
            assertThat(first.header(":event-type")).isEqualTo("PayloadPart");
            // Not reading for a second: the container is held back by what Tandem does not read.
            TandemFixture.sleep(Duration.ofSeconds(1));
            long streamedWhilePaused = streamedBytes("firehose");
            System.out.println("the container wrote " + streamedWhilePaused + " bytes while the client paused");
            assertThat(streamedWhilePaused)
                    .as("bytes the container wrote while the client read nothing")
                    .isLessThan(64L * 1024 * 1024);
            long total = first.payload().length;
            for (EventStreamReader.Message message = reader.next(); message != null; message = reader.next()) {
                total += message.payload().length;
            }
            assertThat(total).isEqualTo(268_435_456L);
        }
    }

    @Test
    void aClientThatHangsUpStopsTheContainersRequest() throws Exception {
        try (Socket socket =
                new Socket(tandem.baseUrl().getHost(), tandem.baseUrl().getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /endpoints/slow/invocations-response-stream HTTP/1.1\r\nHost: x\r\n"
                            + "Content-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] head = new byte[512];
            assertThat(in.read(head)).isPositive();
            assertThat(new String(head, StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 200");
        }
        RunningContainer container = tandem.server()
                .endpoints()
                .find("slow")
                .orElseThrow()
                .variants()
                .get(0)
                .instances()
                .get(0)
                .containers()
                .get(0);
        awaitTrue(() -> container.recentLogs().stream().anyMatch(line -> line.contains("client gone after")));
        String gone = container.recentLogs().stream()
                .filter(line -> line.contains("client gone after"))
                .findFirst()
                .orElseThrow();
        int sent = Integer.parseInt(gone.replaceAll(".*client gone after (\\d+) parts.*", "$1"));
        assertThat(sent).isLessThan(40);
        Instance instance = tandem.server()
                .endpoints()
                .find("slow")
                .orElseThrow()
                .variants()
                .get(0)
                .instances()
                .get(0);
        awaitTrue(() -> instance.outstanding() == 0);
    }

    @Test
    void theTimingsOfEachStageFollowTheStreamInATrailer() throws Exception {
        String raw = rawExchange("chain", "prompt");
        assertThat(raw).containsIgnoringCase("Transfer-Encoding: chunked").contains("Trailer: Server-Timing");
        String trailer = raw.substring(raw.lastIndexOf("\r\n0\r\n") + 5);
        assertThat(trailer)
                .containsPattern("Server-Timing: pre;dur=[0-9.]+, model;dur=[0-9.]+;desc=\"first part\", "
                        + "first-part;dur=[0-9.]+, total;dur=[0-9.]+");
    }

    @Test
    void dataCaptureRecordsTheWholeStreamWithoutHoldingItBack() throws Exception {
        SageMakerClient sm = tandem.sageMaker();
        sm.createModel(r -> r.modelName("captured-stream")
                .primaryContainer(c -> c.image("exec:" + workDir.resolve("test-container"))
                        .environment(java.util.Map.of("BEHAVIOUR", "stream", "STREAM_PARTS", "3"))));
        Path destination = workDir.resolve("capture");
        sm.createEndpointConfig(r -> r.endpointConfigName("captured-stream")
                .productionVariants(ProductionVariant.builder()
                        .variantName("AllTraffic")
                        .modelName("captured-stream")
                        .initialInstanceCount(1)
                        .instanceType("ml.m5.large")
                        .build())
                .dataCaptureConfig(d -> d.enableCapture(true)
                        .initialSamplingPercentage(100)
                        .destinationS3Uri("file:" + destination)
                        .captureOptions(
                                CaptureOption.builder()
                                        .captureMode(CaptureMode.INPUT)
                                        .build(),
                                CaptureOption.builder()
                                        .captureMode(CaptureMode.OUTPUT)
                                        .build())));
        sm.createEndpoint(r -> r.endpointName("captured-stream").endpointConfigName("captured-stream"));
        awaitTrue(() ->
                sm.describeEndpoint(r -> r.endpointName("captured-stream")).endpointStatus()
                        == EndpointStatus.IN_SERVICE);

        Received received = streamAndWait(InvokeEndpointWithResponseStreamRequest.builder()
                .endpointName("captured-stream")
                .contentType("text/plain")
                .inferenceId("chat-42")
                .body(SdkBytes.fromUtf8String("tell me"))
                .build());

        assertThat(received.text()).isEqualTo("tell me\npart-1\npart-2\npart-3\n");
        // Capture did not hold the stream back: its first part came long before its end.
        assertThat(Duration.ofNanos(received.arrivals().get(0) - received.sent()))
                .isLessThan(Duration.ofMillis(500));
        JsonNode record = awaitRecord(destination.resolve("captured-stream/AllTraffic"));
        JsonNode output = record.path("captureData").path("endpointOutput");
        String data = output.path("encoding").asText().equals("BASE64")
                ? new String(Base64.getDecoder().decode(output.path("data").asText()), StandardCharsets.UTF_8)
                : output.path("data").asText();
        assertThat(data).isEqualTo("tell me\npart-1\npart-2\npart-3\n");
        assertThat(record.path("eventMetadata").path("inferenceId").asText()).isEqualTo("chat-42");
    }

    @Test
    void theCommandLinePrintsEachPartAsItArrivesAndAnErrorEventAsAnError() {
        long start = System.nanoTime();
        try (CliProcess cli = CliProcess.start(List.of(
                "invoke", "streamer", "--stream", "--url", tandem.baseUrl().toString(), "--body", "hello"))) {
            cli.awaitStdout("part-1", 1, Duration.ofSeconds(30));
            long firstPart = System.nanoTime() - start;
            assertThat(cli.awaitExit(Duration.ofSeconds(30))).isZero();
            // part-1 is printed while the container still writes parts 2 to 5 (200 ms apart).
            assertThat(Duration.ofNanos(System.nanoTime() - start - firstPart)).isGreaterThan(Duration.ofMillis(500));
            assertThat(cli.stdout()).isEqualTo(PARTS.strip());
        }
        int restarts = dying().status().restarts();
        try (CliProcess cli = CliProcess.start(
                List.of("invoke", "dies", "--stream", "--url", tandem.baseUrl().toString(), "--body", "hello"))) {
            assertThat(cli.awaitExit(Duration.ofSeconds(30))).isEqualTo(1);
            assertThat(cli.stdout()).startsWith("hello\npart-1\npart-2");
            cli.awaitStderr(Pattern.compile("ModelStreamError \\(StreamBroken\\): .*primary"), Duration.ofSeconds(5));
        }
        awaitRestarted(restarts);
    }

    /** A boto3 client of this server, reading a stream and printing what it got as JSON. */
    private static final String BOTO3_READER =
            """
            import boto3, json, sys, time
            from botocore.config import Config
            client = boto3.client("sagemaker-runtime", endpoint_url=sys.argv[1], region_name="us-east-1",
                aws_access_key_id="test", aws_secret_access_key="test",
                config=Config(retries={"max_attempts": 1, "mode": "standard"}))
            start = time.monotonic()
            answer = client.invoke_endpoint_with_response_stream(
                EndpointName=sys.argv[2], Body=b"hello", ContentType="text/plain")
            parts, error = [], None
            try:
                for event in answer["Body"]:
                    parts.append({"at": time.monotonic() - start, "text": event["PayloadPart"]["Bytes"].decode()})
            except Exception as e:
                error = type(e).__name__ + ": " + str(e)
            print(json.dumps({"contentType": answer["ContentType"], "parts": parts, "error": error,
                              "total": time.monotonic() - start}))
            """;

    /** boto3's view of a stream, or a skipped test where no boto3 that knows the operation is installed. */
    private static JsonNode boto3(String endpoint) throws Exception {
        Process check = new ProcessBuilder(
                        "python3",
                        "-c",
                        "import boto3; boto3.client('sagemaker-runtime', region_name='us-east-1')"
                                + ".invoke_endpoint_with_response_stream")
                .redirectErrorStream(true)
                .start();
        boolean usable = check.waitFor(60, TimeUnit.SECONDS) && check.exitValue() == 0;
        Assumptions.assumeTrue(usable, "boto3 with InvokeEndpointWithResponseStream is not installed");
        Process reader = new ProcessBuilder(
                        "python3", "-c", BOTO3_READER, tandem.baseUrl().toString(), endpoint)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String printed = new String(reader.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(reader.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new ObjectMapper().readTree(printed);
    }

    @Test
    void boto3ReadsThePartsAsTheyComeAndRaisesTheErrorEvent() throws Exception {
        JsonNode streamed = boto3("streamer");
        StringBuilder text = new StringBuilder();
        streamed.path("parts").forEach(part -> text.append(part.path("text").asText()));
        assertThat(text.toString()).isEqualTo(PARTS);
        assertThat(streamed.path("parts").size()).isGreaterThanOrEqualTo(2);
        assertThat(streamed.path("parts").get(0).path("at").asDouble()).isLessThan(0.6);
        assertThat(streamed.path("total").asDouble()).isGreaterThan(0.9);
        assertThat(streamed.path("contentType").asText()).isEqualTo("text/plain; charset=utf-8");
        assertThat(streamed.path("error").isNull()).isTrue();

        int restarts = dying().status().restarts();
        JsonNode broken = boto3("dies");
        awaitRestarted(restarts);
        assertThat(broken.path("parts").get(0).path("text").asText()).isEqualTo("hello\n");
        assertThat(broken.path("error").asText())
                .startsWith("EventStreamError")
                .contains("ModelStreamError")
                .contains("primary");
    }

    private static JsonNode awaitRecord(Path folder) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(folder)) {
                try (Stream<Path> files = Files.walk(folder)) {
                    for (Path file :
                            files.filter(f -> f.toString().endsWith(".jsonl")).toList()) {
                        List<String> lines = Files.readAllLines(file);
                        if (!lines.isEmpty()) {
                            return new ObjectMapper().readTree(lines.get(0));
                        }
                    }
                }
            }
            TandemFixture.sleep(Duration.ofMillis(50));
        }
        throw new AssertionError("no capture record under " + folder);
    }

    private static URI streamUri(String endpoint) {
        return tandem.baseUrl().resolve("/endpoints/" + endpoint + "/invocations-response-stream");
    }

    /** The event-stream messages of a streamed invocation, read raw. */
    private static List<EventStreamReader.Message> rawMessages(String endpoint, String body) throws Exception {
        HttpResponse<InputStream> response = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(streamUri(endpoint))
                                .POST(HttpRequest.BodyPublishers.ofString(body))
                                .build(),
                        HttpResponse.BodyHandlers.ofInputStream());
        List<EventStreamReader.Message> messages = new ArrayList<>();
        try (InputStream in = response.body()) {
            EventStreamReader reader = new EventStreamReader(in);
            for (EventStreamReader.Message message = reader.next(); message != null; message = reader.next()) {
                messages.add(message);
            }
        }
        return messages;
    }

    /** A streamed invocation over a raw socket, its whole exchange as text (chunks and trailer). */
    private static String rawExchange(String endpoint, String body) throws Exception {
        try (Socket socket =
                new Socket(tandem.baseUrl().getHost(), tandem.baseUrl().getPort())) {
            socket.getOutputStream()
                    .write(("POST /endpoints/" + endpoint + "/invocations-response-stream HTTP/1.1\r\nHost: x\r\n"
                                    + "Content-Type: text/plain\r\nTE: trailers\r\nConnection: close\r\n"
                                    + "Content-Length: " + body.length() + "\r\n\r\n" + body)
                            .getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    /** How many bytes the firehose container says it has written. */
    private static long streamedBytes(String endpoint) {
        Endpoint found = tandem.server().endpoints().find(endpoint).orElseThrow();
        return found.variants().get(0).instances().get(0).containers().get(0).recentLogs().stream()
                .filter(line -> line.contains("streamed "))
                .mapToLong(line -> Long.parseLong(line.replaceAll(".*streamed (\\d+) bytes.*", "$1")))
                .max()
                .orElse(0);
    }

    /** The container of {@code dies}, which dies with every invocation. */
    private static RunningContainer dying() {
        return tandem.server()
                .endpoints()
                .find("dies")
                .orElseThrow()
                .variants()
                .get(0)
                .instances()
                .get(0)
                .containers()
                .get(0);
    }

    /** Waits until the dying container has been restarted after {@code restartsBefore} and answers again. */
    private static void awaitRestarted(int restartsBefore) {
        awaitTrue(() -> dying().status().restarts() > restartsBefore
                && dying().status().phase() == ContainerStatus.Phase.HEALTHY);
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            TandemFixture.sleep(Duration.ofMillis(20));
        }
    }
}
