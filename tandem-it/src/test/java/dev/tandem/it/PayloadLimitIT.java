package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.it.support.TandemFixture;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.sagemakerruntime.model.InvokeEndpointRequest;
import software.amazon.awssdk.services.sagemakerruntime.model.ModelErrorException;
import software.amazon.awssdk.services.sagemakerruntime.model.ValidationErrorException;

/** Bodies over the payload limit: refused before any container sees them, and never hanging. */
class PayloadLimitIT {
    static final int LIMIT = 64 * 1024;

    @TempDir
    static Path workDir;

    static TandemFixture tandem;

    @BeforeAll
    static void start() {
        tandem = TandemFixture.start(workDir, config -> config.withMaxPayloadBytes(LIMIT));
        tandem.deployAndAwait(
                """
        {"ModelName": "echo", "PrimaryContainer":
          {"Image": "exec:test-container", "Environment": {"TAG": "echo"}}}
        """);
        tandem.deployAndAwait(
                """
        {"ModelName": "bloat", "Containers": [
          {"ContainerHostname": "inflate", "Image": "exec:test-container",
           "Environment": {"BEHAVIOUR": "big", "BIG_BYTES": "70000"}},
          {"ContainerHostname": "receive", "Image": "exec:test-container", "Environment": {"TAG": "receive"}}
        ]}
        """);
    }

    @AfterAll
    static void stop() {
        tandem.close();
    }

    @Test
    void bodyOverTheLimitIsRefusedWithAValidationError() {
        assertThatThrownBy(() -> tandem.sdk()
                        .invokeEndpoint(InvokeEndpointRequest.builder()
                                .endpointName("echo")
                                .body(SdkBytes.fromByteArray(new byte[LIMIT + 1]))
                                .build()))
                .isInstanceOfSatisfying(ValidationErrorException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(413);
                    assertThat(e.awsErrorDetails().errorMessage())
                            .contains("larger than the maximum of " + LIMIT + " bytes");
                });
        // A marker request afterwards: once the container has logged it, it would have logged the
        // refused one too, had it been let through.
        tandem.invoke("echo", "marker-after-refusal");
        awaitLogLine("echo", "invocation of 20 bytes");
        assertThat(containerLog("echo")).doesNotContain("invocation of " + (LIMIT + 1) + " bytes");
    }

    @Test
    void bodyAtTheLimitIsServed() {
        var response = tandem.sdk()
                .invokeEndpoint(InvokeEndpointRequest.builder()
                        .endpointName("echo")
                        .body(SdkBytes.fromByteArray(new byte[LIMIT]))
                        .build());

        assertThat(response.body().asByteArray()).hasSizeGreaterThan(LIMIT);
        awaitLogLine("echo", "invocation of " + LIMIT + " bytes");
    }

    @Test
    void chunkedBodyOverTheLimitIsCutOffWithoutWaitingForTheRest() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", tandem.server().port())) {
            socket.setSoTimeout((int) Duration.ofSeconds(10).toMillis());
            OutputStream out = socket.getOutputStream();
            out.write(("POST /endpoints/echo/invocations HTTP/1.1\r\nHost: localhost\r\n"
                            + "Transfer-Encoding: chunked\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[16 * 1024];
            // Send more than the limit, but never the final chunk: the answer must not wait for it.
            for (int sent = 0; sent <= LIMIT; sent += chunk.length) {
                out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(chunk);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            out.flush();
            InputStream in = socket.getInputStream();
            String head = new String(in.readNBytes(200), StandardCharsets.US_ASCII);
            assertThat(head).startsWith("HTTP/1.1 413").containsIgnoringCase("x-amzn-ErrorType: ValidationError");
        }
    }

    @Test
    void connectionStaysUsableAfterARefusedBody() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", tandem.server().port())) {
            socket.setSoTimeout((int) Duration.ofSeconds(10).toMillis());
            OutputStream out = socket.getOutputStream();
            java.io.BufferedReader in = new java.io.BufferedReader(
                    new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            out.write(("POST /endpoints/echo/invocations HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + (LIMIT + 1)
                            + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[LIMIT + 1]);
            out.flush();
            assertThat(in.readLine()).isEqualTo("HTTP/1.1 413 Request Entity Too Large");
            skipResponse(in);

            out.write("POST /endpoints/echo/invocations HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\nok"
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(in.readLine()).isEqualTo("HTTP/1.1 200 OK");
        }
    }

    /** Reads the headers and the Content-Length body of one response. */
    private static void skipResponse(java.io.BufferedReader in) throws IOException {
        int length = 0;
        String line;
        while (!(line = in.readLine()).isEmpty()) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        for (int i = 0; i < length; i++) {
            in.read();
        }
    }

    @Test
    void payloadBetweenContainersOverTheLimitIsAModelErrorNamingBoth() {
        assertThatThrownBy(() -> tandem.sdk()
                        .invokeEndpoint(InvokeEndpointRequest.builder()
                                .endpointName("bloat")
                                .body(SdkBytes.fromUtf8String("x"))
                                .build()))
                .isInstanceOfSatisfying(ModelErrorException.class, e -> assertThat(
                                e.awsErrorDetails().errorMessage())
                        .isEqualTo("Received response from inflate with status code 200. However, the request"
                                + " payload from inflate to receive is 70000 bytes, which has exceeded the"
                                + " maximum limit of " + LIMIT + " bytes."));
    }

    private static void awaitLogLine(String endpoint, String line) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!containerLog(endpoint).contains(line)) {
            assertThat(System.nanoTime()).as("container logged '%s'", line).isLessThan(deadline);
            TandemFixture.sleep(Duration.ofMillis(10));
        }
    }

    private static java.util.List<String> containerLog(String endpoint) {
        return tandem.server()
                .endpoints()
                .find(endpoint)
                .orElseThrow()
                .variants()
                .get(0)
                .instances()
                .get(0)
                .containers()
                .get(0)
                .recentLogs();
    }
}
