package dev.tandem.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.core.engine.StageTiming;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServerTimingTest {

    @Test
    void listsEachStageThenTandemsOwnTime() {
        String header = ServerTiming.header(
                List.of(new StageTiming("pre", 1_250_000), new StageTiming("model", 3_000_000)), 5_000_000);

        assertThat(header).isEqualTo("pre;dur=1.250, model;dur=3.000, tandem;dur=0.750");
    }

    @Test
    void roundsToTheMicrosecond() {
        assertThat(ServerTiming.header(
                        List.of(new StageTiming("a", 12_345_678), new StageTiming("b", 7_000)), 12_352_678 + 40_000))
                .isEqualTo("a;dur=12.346, b;dur=0.007, tandem;dur=0.040");
    }

    @Test
    void anotherServersTimingsReadBackAsItsStagesWithoutItsOwnTime() {
        List<StageTiming> stages = List.of(
                new StageTiming("pre", 1_250_000, 12, "text/csv; charset=utf-8"),
                new StageTiming("model", 3_000_000, 7, "application/json"));
        String timing = ServerTiming.header(stages, 5_000_000);
        String sizes = ServerTiming.stages(stages);

        assertThat(ServerTiming.parse(timing, sizes)).containsExactlyElementsOf(stages);
        assertThat(ServerTiming.parse(timing, null))
                .as("without sizes: the times alone")
                .containsExactly(new StageTiming("pre", 1_250_000), new StageTiming("model", 3_000_000));
        assertThat(ServerTiming.parse(null, null)).isEmpty();
        assertThat(ServerTiming.parse("pre;dur=x, model;dur=2.000, tandem;dur=0.100", null))
                .as("what cannot be read is left out")
                .containsExactly(new StageTiming("model", 2_000_000));
    }

    @Test
    void requestIdsAreVersionFourUuids() {
        java.util.UUID id = java.util.UUID.fromString(RequestIds.next());

        assertThat(id.version()).isEqualTo(4);
        assertThat(id.variant()).isEqualTo(2);
        assertThat(RequestIds.next()).isNotEqualTo(RequestIds.next());
    }
}
