package dev.tandem.server.endpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.core.error.ValidationException;
import dev.tandem.core.model.ContainerDefinition;
import dev.tandem.core.model.ImageRef;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InFlightLimitTest {
    private final InFlightLimit sized = new InFlightLimit(null, 8);

    @Test
    void aContainerTakesItsWorkersAndAQuarterMore() {
        assertThat(sized.forContainer(exec(Map.of()))).as("8 cores: 8 workers").isEqualTo(10);
        assertThat(sized.forContainer(exec(Map.of("SAGEMAKER_MODEL_SERVER_WORKERS", "4"))))
                .isEqualTo(5);
        assertThat(sized.forContainer(exec(Map.of("MODEL_SERVER_WORKERS", "1"))))
                .isEqualTo(2);
        assertThat(sized.forContainer(exec(Map.of("MODEL_SERVER_WORKERS", "16"))))
                .isEqualTo(20);
    }

    @Test
    void aContainersOwnSettingWinsOverTheServersWhichWinsOverSizing() {
        InFlightLimit server = new InFlightLimit(3, 8);
        assertThat(server.forContainer(exec(Map.of("SAGEMAKER_MODEL_SERVER_WORKERS", "4"))))
                .isEqualTo(3);
        assertThat(server.forContainer(exec(Map.of("TANDEM_MAX_IN_FLIGHT", "7"))))
                .isEqualTo(7);
        assertThat(sized.forContainer(builtin())).isEqualTo(InFlightLimit.IN_PROCESS);
    }

    @Test
    void badSettingsAreRefusedNamingTheContainerAndTheSetting() {
        assertThatThrownBy(() -> sized.forContainer(exec(Map.of("TANDEM_MAX_IN_FLIGHT", "many"))))
                .isInstanceOf(ValidationException.class)
                .hasMessage("Container c: TANDEM_MAX_IN_FLIGHT must be a whole number of at least 1, got 'many'.");
        assertThatThrownBy(() -> sized.forContainer(exec(Map.of("MODEL_SERVER_WORKERS", "-2"))))
                .hasMessageContaining("MODEL_SERVER_WORKERS must be a whole number of at least 1, got '-2'");
        assertThatThrownBy(() -> new InFlightLimit(0, 2)).hasMessage("max-in-flight must be at least 1, was 0");
    }

    static ContainerDefinition exec(Map<String, String> environment) {
        return new ContainerDefinition("c", new ImageRef.Exec("exec:serve", Path.of("/serve")), environment, null);
    }

    static ContainerDefinition builtin() {
        return new ContainerDefinition("c", new ImageRef.Builtin("builtin:identity", "identity"), Map.of(), null);
    }
}
