package dev.tandem.server.auth;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Against the "get-vanilla" case of AWS's published Signature V4 test suite. */
class SigV4VerifierTest {
    private static final String KEY = "AKIDEXAMPLE";
    private static final String SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    private static final Clock AT_SIGNING = Clock.fixed(Instant.parse("2015-08-30T12:36:00Z"), ZoneOffset.UTC);
    private static final String AUTHORIZATION = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
            + "aws4_request, SignedHeaders=host;x-amz-date, "
            + "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

    private static SigV4Verifier.SignedRequest vanilla(String authorization) {
        Map<String, List<String>> headers = Map.of(
                "host", List.of("example.amazonaws.com"),
                "x-amz-date", List.of("20150830T123600Z"),
                "authorization", List.of(authorization));
        return new SigV4Verifier.SignedRequest("GET", "/", null, name -> headers.getOrDefault(name, List.of()));
    }

    @Test
    void acceptsAwsPublishedSignature() {
        SigV4Verifier verifier = new SigV4Verifier(Map.of(KEY, SECRET), AT_SIGNING);

        assertThatCode(() -> verifier.verify(vanilla(AUTHORIZATION), dev.tandem.core.stage.Payload.empty()))
                .doesNotThrowAnyException();
    }

    @Test
    void refusesAnotherSecretABodyItDidNotSignAndAStaleDate() {
        assertThatThrownBy(() -> new SigV4Verifier(Map.of(KEY, "other"), AT_SIGNING)
                        .verify(vanilla(AUTHORIZATION), dev.tandem.core.stage.Payload.empty()))
                .isInstanceOfSatisfying(
                        AuthenticationException.class, e -> org.assertj.core.api.Assertions.assertThat(e.code())
                                .isEqualTo("InvalidSignatureException"));
        assertThatThrownBy(() -> new SigV4Verifier(Map.of(KEY, SECRET), AT_SIGNING)
                        .verify(vanilla(AUTHORIZATION), dev.tandem.core.stage.Payload.utf8("x")))
                .hasMessageContaining("does not match");
        Clock later = Clock.offset(AT_SIGNING, java.time.Duration.ofMinutes(16));
        assertThatThrownBy(() -> new SigV4Verifier(Map.of(KEY, SECRET), later)
                        .verify(vanilla(AUTHORIZATION), dev.tandem.core.stage.Payload.empty()))
                .hasMessageStartingWith("Signature expired: 20150830T123600Z is now earlier than");
        assertThatThrownBy(() -> new SigV4Verifier(Map.of("AKIDOTHER", SECRET), AT_SIGNING)
                        .verify(vanilla(AUTHORIZATION), dev.tandem.core.stage.Payload.empty()))
                .isInstanceOfSatisfying(
                        AuthenticationException.class, e -> org.assertj.core.api.Assertions.assertThat(e.code())
                                .isEqualTo("UnrecognizedClientException"));
    }
}
