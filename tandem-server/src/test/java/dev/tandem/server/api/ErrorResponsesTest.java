package dev.tandem.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.core.error.ErrorKind;
import dev.tandem.core.error.ModelErrorException;
import dev.tandem.core.error.ModelNotReadyException;
import dev.tandem.core.error.PayloadTooLargeException;
import dev.tandem.core.error.ServiceUnavailableException;
import dev.tandem.core.error.ThrottlingException;
import dev.tandem.core.error.ValidationException;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ErrorResponsesTest {
    private final ErrorResponses errors = new ErrorResponses("eu-west-1", "123456789012");

    private static JsonNode json(ErrorResponses.Reply reply) throws IOException {
        return new ObjectMapper().readTree(reply.body());
    }

    @Test
    void modelErrorCarriesItsMembers() throws IOException {
        ErrorResponses.Reply reply = errors.reply(
                "r1",
                new ModelErrorException("post", 500, "kaput", "Received server error (500) from post", null),
                "ep:log-stream:AllTraffic/i-1/post");

        assertThat(reply.status()).isEqualTo(424);
        assertThat(reply.code()).isEqualTo("ModelError");
        JsonNode body = json(reply);
        assertThat(body.get("message").asText()).isEqualTo("Received server error (500) from post");
        assertThat(body.get("OriginalStatusCode").asInt()).isEqualTo(500);
        assertThat(body.get("OriginalMessage").asText()).isEqualTo("kaput");
        assertThat(body.get("LogStreamArn").asText())
                .isEqualTo(
                        "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/sagemaker/Endpoints/ep:log-stream:AllTraffic/i-1/post");
    }

    @Test
    void anErrorAnsweredByAnotherServerIsAnsweredAgainTheSameWay() throws IOException {
        ErrorResponses gateway = new ErrorResponses("eu-west-1", "123456789012");
        for (RuntimeException error : List.of(
                new ModelErrorException("post", 500, "kaput", "Received server error (500) from post", null),
                new ValidationException("v"),
                new PayloadTooLargeException(10),
                new ModelNotReadyException("m"),
                new ServiceUnavailableException("s"),
                new ThrottlingException("t"),
                new IllegalStateException("a bug"))) {
            ErrorResponses.Reply instance = errors.reply("r", error, "ep:log-stream:AllTraffic/i-1/post");

            Throwable decoded =
                    ErrorResponses.decode(instance.status(), instance.code(), json(instance), instance.container());

            ErrorResponses.Reply again = gateway.reply("r", decoded, "ep:log-stream:AllTraffic/pod-1/post");
            assertThat(again.status()).as(error.toString()).isEqualTo(instance.status());
            assertThat(again.code()).isEqualTo(instance.code());
            assertThat(json(again).get("message")).isEqualTo(json(instance).get("message"));
            assertThat(again.container()).isEqualTo(instance.container());
        }
        ErrorResponses.Reply model = errors.reply(
                "r", new ModelErrorException("post", 500, "kaput", "m", null), "ep:log-stream:AllTraffic/i-1/post");
        ModelErrorException decoded = (ModelErrorException)
                ErrorResponses.decode(model.status(), model.code(), json(model), model.container());
        assertThat(decoded.container()).isEqualTo("post");
        assertThat(decoded.originalStatusCode()).isEqualTo(500);
        assertThat(decoded.originalMessage()).isEqualTo("kaput");
    }

    @Test
    void eachKindHasTheRuntimeApisCodeAndStatus() {
        assertThat(errors.reply("r", new ValidationException("v"), null))
                .extracting(ErrorResponses.Reply::status, ErrorResponses.Reply::code)
                .containsExactly(400, "ValidationError");
        assertThat(errors.reply("r", new PayloadTooLargeException(10), null))
                .extracting(ErrorResponses.Reply::status, ErrorResponses.Reply::code)
                .containsExactly(413, "ValidationError");
        assertThat(errors.reply("r", new ModelNotReadyException("m"), null))
                .extracting(ErrorResponses.Reply::status, ErrorResponses.Reply::code)
                .containsExactly(429, "ModelNotReadyException");
        assertThat(errors.reply("r", new ServiceUnavailableException("s"), null))
                .extracting(ErrorResponses.Reply::status, ErrorResponses.Reply::code)
                .containsExactly(503, "ServiceUnavailable");
        assertThat(errors.reply("r", new ThrottlingException("t"), null))
                .extracting(ErrorResponses.Reply::status, ErrorResponses.Reply::code)
                .containsExactly(429, "ThrottlingException");
    }

    @ParameterizedTest
    @EnumSource(ErrorKind.class)
    void everyKindHasACode(ErrorKind kind) {
        assertThat(ErrorResponses.runtimeCode(kind)).isNotBlank();
    }

    @Test
    void internalDetailsNeverReachTheClient() throws IOException {
        ErrorResponses.Reply reply =
                errors.reply("req-7", new IllegalStateException("password=hunter2 at db.internal:5432"), null);

        assertThat(reply.status()).isEqualTo(500);
        assertThat(reply.code()).isEqualTo("InternalFailure");
        assertThat(reply.body()).doesNotContain("hunter2").doesNotContain("IllegalStateException");
        assertThat(json(reply).get("message").asText())
                .isEqualTo("An internal error occurred while serving request req-7.");
    }
}
