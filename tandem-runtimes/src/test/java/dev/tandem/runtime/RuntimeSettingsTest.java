package dev.tandem.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.runtime.contract.ContractClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RuntimeSettingsTest {

    @Test
    void defaultsAreSageMakersContractNumbers() {
        RuntimeSettings defaults = RuntimeSettings.defaults();

        assertThat(defaults.invocationTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(defaults.pingTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(defaults.stopGracePeriod()).isEqualTo(Duration.ofSeconds(30));
        assertThat(defaults.lastPort()).isLessThan(32_768).as("below Linux's ephemeral ports");
    }

    @Test
    void backoffDoublesPerFailureUpToTheCap() {
        RuntimeSettings settings =
                RuntimeSettings.defaults().withRestartBackoff(Duration.ofMillis(100), Duration.ofSeconds(1));

        assertThat(settings.backoffFor(1)).isEqualTo(Duration.ofMillis(100));
        assertThat(settings.backoffFor(2)).isEqualTo(Duration.ofMillis(200));
        assertThat(settings.backoffFor(4)).isEqualTo(Duration.ofMillis(800));
        assertThat(settings.backoffFor(5)).isEqualTo(Duration.ofSeconds(1));
        assertThat(settings.backoffFor(1_000)).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void invalidValuesAreRefusedNamingTheKey() {
        assertThatThrownBy(() -> RuntimeSettings.defaults().withInvocationTimeout(Duration.ZERO))
                .hasMessage("invocation-timeout must be positive, was PT0S");
        assertThatThrownBy(() -> RuntimeSettings.defaults().withHealthChecks(Duration.ofSeconds(1), 0))
                .hasMessage("unhealthy-threshold must be at least 1, was 0");
    }

    @Test
    void containerConnectionsDisableNagle() {
        // With Nagle's algorithm a keep-alive POST stalls ~44 ms on these machines; 0.56 ms with TCP_NODELAY.
        assertThat(ContractClient.clientOptions().isTcpNoDelay()).isTrue();
        assertThat(ContractClient.clientOptions().isKeepAlive()).isTrue();
    }
}
