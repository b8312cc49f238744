package dev.tandem.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.core.error.ValidationException;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class EndpointNamesTest {
    /** The service model's pattern, which the hand-written check must agree with. */
    private static final Pattern SERVICE_MODEL = Pattern.compile("^[a-zA-Z0-9](-*[a-zA-Z0-9])*$");

    @Test
    void namesTheServiceModelAllowsAreAccepted() {
        for (String name : new String[] {"a", "Z9", "my-endpoint", "a--b", "x".repeat(63), "0-0-0"}) {
            assertThatCode(() -> EndpointNames.check(name)).as(name).doesNotThrowAnyException();
        }
    }

    @Test
    void namesItRefusesAreRefusedInSageMakersWords() {
        for (String name : new String[] {"", "-a", "a-", "a_b", "a.b", "ä", "a b", "x".repeat(64)}) {
            assertThatThrownBy(() -> EndpointNames.check(name))
                    .as(name)
                    .isInstanceOf(ValidationException.class)
                    .hasMessageContaining("Value '" + name + "' at 'endpointName' failed to satisfy constraint");
        }
    }

    @Test
    void theCheckAgreesWithTheServiceModelsPatternOnRandomNames() {
        Random random = new Random(3);
        String alphabet = "ab-Z09_.é ";
        for (int i = 0; i < 20_000; i++) {
            StringBuilder name = new StringBuilder();
            int length = random.nextInt(70);
            for (int j = 0; j < length; j++) {
                name.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            String candidate = name.toString();
            boolean expected =
                    candidate.length() <= 63 && SERVICE_MODEL.matcher(candidate).matches();
            boolean accepted;
            try {
                EndpointNames.check(candidate);
                accepted = true;
            } catch (ValidationException refused) {
                accepted = false;
            }
            assertThat(accepted).as("'%s'", candidate).isEqualTo(expected);
        }
    }
}
