package dev.tandem.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

class UnitsTest {

    @Test
    void readsDurations() {
        assertThat(Units.duration("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Units.duration("60s")).isEqualTo(Duration.ofSeconds(60));
        assertThat(Units.duration("10m")).isEqualTo(Duration.ofMinutes(10));
        assertThat(Units.duration("1h")).isEqualTo(Duration.ofHours(1));
        assertThatThrownBy(() -> Units.duration("60"))
                .isInstanceOf(TypeConversionException.class)
                .hasMessageContaining("e.g. 60s");
    }

    @Test
    void readsSizesInPowersOf1024AsSageMakerDoes() {
        assertThat(Units.bytes("6MB")).isEqualTo(6_291_456L);
        assertThat(Units.bytes("64KB")).isEqualTo(65_536L);
        assertThat(Units.bytes("1000")).isEqualTo(1000L);
        assertThatThrownBy(() -> Units.bytes("six")).isInstanceOf(TypeConversionException.class);
    }
}
