package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.it.support.TandemFixture;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.sagemakerruntime.model.InvokeEndpointRequest;
import software.amazon.awssdk.services.sagemakerruntime.model.InvokeEndpointResponse;
import software.amazon.awssdk.services.sagemakerruntime.model.ModelErrorException;
import software.amazon.awssdk.services.sagemakerruntime.model.ValidationErrorException;

/**
 * InvokeEndpoint through a serial pipeline of real child-process containers, driven through the
 * AWS SDK for Java v2 and over plain HTTP: the data flow of the container contract and its errors.
 */
class InvokeEndpointIT {
    @TempDir
    static Path workDir;

    static TandemFixture tandem;

    @BeforeAll
    static void start() {
        tandem = TandemFixture.start(workDir);
        tandem.deployAndAwait(
                """
        {"ModelName": "chain", "Containers": [
          {"ContainerHostname": "first", "Image": "exec:test-container",
           "Environment": {"TAG": "first", "RESPONSE_CONTENT_TYPE": "application/x-first"}},
          {"ContainerHostname": "second", "Image": "exec:test-container",
           "Environment": {"TAG": "second", "RESPONSE_CONTENT_TYPE": "application/x-second"}},
          {"ContainerHostname": "third", "Image": "exec:test-container",
           "Environment": {"TAG": "third", "RESPONSE_CONTENT_TYPE": "application/json",
                           "RESPONSE_CUSTOM_ATTRIBUTES": "from-third=1"}}
        ]}
        """);
        tandem.deployAndAwait(
                """
        {"ModelName": "broken", "Containers": [
          {"ContainerHostname": "pre", "Image": "exec:test-container", "Environment": {"TAG": "pre"}},
          {"ContainerHostname": "post", "Image": "exec:test-container",
           "Environment": {"BEHAVIOUR": "fail", "FAIL_STATUS": "500", "FAIL_MESSAGE": "kaput: bad tensor"}},
          {"ContainerHostname": "never", "Image": "exec:test-container", "Environment": {"TAG": "never"}}
        ]}
        """);
        tandem.deployAndAwait(
                """
        {"ModelName": "single", "PrimaryContainer":
          {"Image": "exec:test-container", "Environment": {"TAG": "single"}}}
        """);
        tandem.deployAndAwait(
                """
        {"ModelName": "picky", "PrimaryContainer":
          {"Image": "exec:test-container",
           "Environment": {"BEHAVIOUR": "fail", "FAIL_STATUS": "415", "FAIL_MESSAGE": "send text/csv"}}}
        """);
    }

    @AfterAll
    static void stop() {
        tandem.close();
    }

    @Test
    void eachContainerGetsThePreviousResponseAndOnlyTheLastGetsAccept() {
        InvokeEndpointResponse response = tandem.sdk()
                .invokeEndpoint(InvokeEndpointRequest.builder()
                        .endpointName("chain")
                        .contentType("text/csv")
                        .accept("application/json")
                        .customAttributes("trace=abc")
                        .body(SdkBytes.fromUtf8String("1,2,3"))
                        .build());

        assertThat(response.body().asUtf8String())
                .isEqualTo("1,2,3"
                        + ">first(ct=text/csv,accept=null,ca=trace=abc)"
                        + ">second(ct=application/x-first,accept=null,ca=trace=abc)"
                        + ">third(ct=application/x-second,accept=application/json,ca=trace=abc)");
        assertThat(response.contentType()).isEqualTo("application/json");
        assertThat(response.customAttributes()).isEqualTo("from-third=1");
        assertThat(response.invokedProductionVariant()).isEqualTo("AllTraffic");
    }

    @Test
    void aBodyOfMegabytesCrossesEveryContainerByteForByte() {
        // Read in many pieces at every hop and sent on in them: nothing may be lost, reordered or
        // doubled on the way through three containers and back.
        byte[] body = new byte[5 * 1024 * 1024 - 4096];
        new java.util.Random(5).nextBytes(body);
        InvokeEndpointResponse response = tandem.sdk()
                .invokeEndpoint(InvokeEndpointRequest.builder()
                        .endpointName("chain")
                        .contentType("application/octet-stream")
                        .body(SdkBytes.fromByteArray(body))
                        .build());

        byte[] answer = response.body().asByteArray();
        assertThat(java.util.Arrays.copyOf(answer, body.length)).isEqualTo(body);
        assertThat(new String(
                        answer, body.length, answer.length - body.length, java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo(">first(ct=application/octet-stream,accept=null,ca=null)"
                        + ">second(ct=application/x-first,accept=null,ca=null)"
                        + ">third(ct=application/x-second,accept=*/*,ca=null)"); // the SDK asks for */* unless told
    }

    @Test
    void responseCarriesServerTimingForEveryContainerThatRan() {
        HttpResponse<String> response = tandem.invoke("chain", "x", "Content-Type", "text/plain");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Server-Timing").orElseThrow())
                .matches("first;dur=[0-9.]+, second;dur=[0-9.]+, third;dur=[0-9.]+, tandem;dur=[0-9.]+");
        assertThat(response.headers().firstValue("x-amzn-RequestId")).isPresent();
    }

    @Test
    void debugHeaderShowsWhatEachContainerAnswered() {
        HttpResponse<String> response =
                tandem.invoke("chain", "12345", "Content-Type", "text/csv", "X-Tandem-Debug", "stages");

        String first = "12345>first(ct=text/csv,accept=null,ca=null)";
        String second = first + ">second(ct=application/x-first,accept=null,ca=null)";
        assertThat(response.headers().firstValue("X-Tandem-Stages"))
                .contains("first;bytes=" + first.length() + ";type=\"application/x-first\", second;bytes="
                        + second.length() + ";type=\"application/x-second\", third;bytes="
                        + response.body().length()
                        + ";type=\"application/json\"");
        assertThat(tandem.invoke("chain", "x").headers().firstValue("X-Tandem-Stages"))
                .isEmpty();
    }

    @Test
    void customAttributesComeBackOnlyWhenTheLastContainerSetsThem() {
        InvokeEndpointResponse response = tandem.sdk()
                .invokeEndpoint(InvokeEndpointRequest.builder()
                        .endpointName("single")
                        .customAttributes("c000b4f9-df62-4c85-a0bf-7c525f9104a4")
                        .body(SdkBytes.fromUtf8String("x"))
                        .build());

        // The SDK sends its own defaults when the caller gives none: JSON content, any accept.
        assertThat(response.body().asUtf8String())
                .isEqualTo("x>single(ct=application/json,accept=*/*,ca=c000b4f9-df62-4c85-a0bf-7c525f9104a4)");
        assertThat(response.customAttributes()).isNull();
    }

    @Test
    void failingContainerStopsTheChainWithModelErrorNamingIt() {
        assertThatThrownBy(() -> tandem.sdk()
                        .invokeEndpoint(InvokeEndpointRequest.builder()
                                .endpointName("broken")
                                .contentType("text/csv")
                                .body(SdkBytes.fromUtf8String("1,2"))
                                .build()))
                .isInstanceOfSatisfying(ModelErrorException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(424);
                    assertThat(e.originalStatusCode()).isEqualTo(500);
                    assertThat(e.originalMessage()).isEqualTo("kaput: bad tensor");
                    assertThat(e.awsErrorDetails().errorMessage())
                            .startsWith("Received server error (500) from post with message \"kaput: bad tensor\"");
                    assertThat(e.logStreamArn())
                            .isEqualTo("arn:aws:logs:us-east-1:000000000000:log-group:/aws/sagemaker/Endpoints/broken"
                                    + ":log-stream:AllTraffic/"
                                    + tandem.server()
                                            .endpoints()
                                            .find("broken")
                                            .orElseThrow()
                                            .variants()
                                            .get(0)
                                            .instances()
                                            .get(0)
                                            .id()
                                    + "/post");
                });
    }

    @Test
    void clientErrorFromContainerIsReportedAsClientError() {
        assertThatThrownBy(() -> tandem.sdk()
                        .invokeEndpoint(InvokeEndpointRequest.builder()
                                .endpointName("picky")
                                .contentType("application/json")
                                .body(SdkBytes.fromUtf8String("{}"))
                                .build()))
                .isInstanceOfSatisfying(ModelErrorException.class, e -> {
                    assertThat(e.originalStatusCode()).isEqualTo(415);
                    assertThat(e.awsErrorDetails().errorMessage())
                            .startsWith("Received client error (415) from primary with message \"send text/csv\"");
                });
    }

    @Test
    void unknownEndpointIsAValidationErrorNamingIt() {
        assertThatThrownBy(() -> tandem.sdk()
                        .invokeEndpoint(InvokeEndpointRequest.builder()
                                .endpointName("missing")
                                .body(SdkBytes.fromUtf8String("x"))
                                .build()))
                .isInstanceOfSatisfying(ValidationErrorException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(400);
                    assertThat(e.awsErrorDetails().errorMessage())
                            .isEqualTo("Endpoint missing of account 000000000000 not found.");
                });
    }

    @Test
    void unknownVariantIsAValidationError() {
        HttpResponse<String> response = tandem.invoke("chain", "x", "X-Amzn-SageMaker-Target-Variant", "Canary");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("x-amzn-ErrorType")).contains("ValidationError");
        assertThat(response.body()).contains("Target variant Canary does not exist on endpoint chain");
    }

    @Test
    void targetContainerOnASerialEndpointIsAValidationError() {
        HttpResponse<String> response =
                tandem.invoke("chain", "x", "X-Amzn-SageMaker-Target-Container-Hostname", "second");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("x-amzn-ErrorType")).contains("ValidationError");
        assertThat(response.body()).contains("Serial mode");
    }

    @Test
    void unknownPathIsAnUnknownOperation() {
        HttpResponse<String> response = tandem.invoke("chain/extra", "x");

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.headers().firstValue("x-amzn-ErrorType")).contains("UnknownOperationException");
    }
}
