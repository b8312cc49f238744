package dev.tandem.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.core.engine.StageTiming;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServerTimingTest {

  @Test
  void listsEachStageThenTandemsOwnTime() {
    String header =
        ServerTiming.header(List.of(new StageTiming("pre", 1_250_000), new StageTiming("model", 3_000_000)), 5_000_000);

    assertThat(header).isEqualTo("pre;dur=1.250, model;dur=3.000, tandem;dur=0.750");
  }
}
