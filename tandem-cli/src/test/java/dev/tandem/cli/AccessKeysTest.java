package dev.tandem.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccessKeysTest {
    @TempDir
    Path dir;

    @Test
    void readsTheFileAndTheEnvironment() throws IOException {
        Path file = Files.writeString(dir.resolve("keys"), "# team keys\nAKID1 secret1\n\nAKID2   secret2\n");

        Map<String, String> keys =
                AccessKeys.read(file, Map.of("TANDEM_ACCESS_KEY_ID", "AKID3", "TANDEM_SECRET_ACCESS_KEY", "secret3"));

        assertThat(keys)
                .containsExactlyInAnyOrderEntriesOf(Map.of("AKID1", "secret1", "AKID2", "secret2", "AKID3", "secret3"));
    }

    @Test
    void noKeysMeansAuthenticationIsOff() {
        assertThat(AccessKeys.read(null, Map.of())).isEmpty();
    }

    @Test
    void refusesMalformedInputNamingIt() throws IOException {
        Path file = Files.writeString(dir.resolve("keys"), "AKID1\n");

        assertThatThrownBy(() -> AccessKeys.read(file, Map.of()))
                .hasMessageEndingWith("line 1: expected 'ACCESS_KEY_ID SECRET_ACCESS_KEY'");
        assertThatThrownBy(() -> AccessKeys.read(null, Map.of("TANDEM_ACCESS_KEY_ID", "x")))
                .hasMessage("set both TANDEM_ACCESS_KEY_ID and TANDEM_SECRET_ACCESS_KEY, or neither");
    }
}
