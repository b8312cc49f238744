package dev.tandem.stages.sse;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ServerSentEventsStageProviderTest {

    @Test
    void eachLineOfAPartIsADataLineAndABlankLineEndsTheEvent() {
        assertThat(new String(ServerSentEventsStageProvider.event("one"), StandardCharsets.UTF_8))
                .isEqualTo("data: one\n\n");
        assertThat(new String(ServerSentEventsStageProvider.event("one\r\ntwo\n"), StandardCharsets.UTF_8))
                .isEqualTo("data: one\ndata: two\ndata: \n\n");
    }

    @Test
    void anUnfinishedCharacterAtTheEndWaitsForTheNextPart() {
        byte[] euro = "€".getBytes(StandardCharsets.UTF_8); // three bytes
        byte[] text = ("a" + "€").getBytes(StandardCharsets.UTF_8);
        assertThat(ServerSentEventsStageProvider.wholeCharacters(text)).isEqualTo(4);
        assertThat(ServerSentEventsStageProvider.wholeCharacters(java.util.Arrays.copyOf(text, 3)))
                .isEqualTo(1);
        assertThat(ServerSentEventsStageProvider.wholeCharacters(java.util.Arrays.copyOf(text, 2)))
                .isEqualTo(1);
        assertThat(ServerSentEventsStageProvider.wholeCharacters(euro)).isEqualTo(3);
        assertThat(ServerSentEventsStageProvider.wholeCharacters(new byte[0])).isZero();
    }
}
