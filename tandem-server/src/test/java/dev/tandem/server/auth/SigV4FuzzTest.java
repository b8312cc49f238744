package dev.tandem.server.auth;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

/**
 * Fuzz test of the SigV4 verifier over hostile headers: any {@code Authorization}, {@code
 * X-Amz-Date} and content hash is refused with an {@link AuthenticationException} (AWS's error
 * code and a message) or, for a real signature, accepted — never another exception.
 */
class SigV4FuzzTest {
    /** How long each test explores in fuzzing mode ({@code JAZZER_FUZZ=1}, as .ci/fuzz runs them). */
    private static final String FUZZ_SECONDS = "30s";

    private static final SigV4Verifier VERIFIER = new SigV4Verifier(
            Map.of("AKIDEXAMPLE", "secret"), Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC));

    @FuzzTest(maxDuration = FUZZ_SECONDS)
    void signedHeaders(FuzzedDataProvider data) {
        String authorization = data.consumeString(400);
        String date = data.consumeString(40);
        String hash = data.consumeString(80);
        String path = "/" + data.consumeString(80);
        byte[] body = data.consumeRemainingAsBytes();
        Map<String, String> headers =
                Map.of("authorization", authorization, "x-amz-date", date, "x-amz-content-sha256", hash, "host", "x");
        try {
            VERIFIER.verify(
                    new SigV4Verifier.SignedRequest(
                            "POST",
                            path,
                            null,
                            name -> headers.containsKey(name) ? List.of(headers.get(name)) : List.of()),
                    dev.tandem.core.stage.Payload.wrap(body));
        } catch (AuthenticationException refused) {
            if (refused.code() == null || refused.getMessage() == null) {
                throw new IllegalStateException("a refusal without a code or message", refused);
            }
        }
    }
}
