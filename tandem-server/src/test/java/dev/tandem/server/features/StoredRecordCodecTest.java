package dev.tandem.server.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class StoredRecordCodecTest {
    private static final Instant EVENT = Instant.parse("2026-03-04T05:06:07.089Z");

    @Test
    void aRecordComesBackAsItWasWritten() {
        StoredRecord record = new StoredRecord(
                List.of(
                        FeatureValue.of("id", "c-17"),
                        FeatureValue.of("city", "Zürich — 東京"),
                        FeatureValue.of("empty", ""),
                        new FeatureValue("tags", null, List.of("a", "", "ç"))),
                EVENT,
                EVENT.plusSeconds(3600),
                false);

        assertThat(StoredRecord.decode(record.encode())).isEqualTo(record);
    }

    @Test
    void aSoftDeleteWithoutExpiryComesBackToo() {
        StoredRecord tombstone = new StoredRecord(List.of(), EVENT, null, true);

        assertThat(StoredRecord.decode(tombstone.encode())).isEqualTo(tombstone);
    }

    @Test
    void theJsonTheFirstStoresWroteStillReads() {
        String legacy = "{\"t\":" + EVENT.toEpochMilli() + ",\"x\":"
                + EVENT.plusSeconds(60).toEpochMilli()
                + ",\"f\":[{\"FeatureName\":\"id\",\"ValueAsString\":\"7\"},"
                + "{\"FeatureName\":\"tags\",\"ValueAsStringList\":[\"a\",\"b\"]}]}";

        assertThat(StoredRecord.decode(legacy.getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(new StoredRecord(
                        List.of(FeatureValue.of("id", "7"), new FeatureValue("tags", null, List.of("a", "b"))),
                        EVENT,
                        EVENT.plusSeconds(60),
                        false));
    }

    @Test
    void aCutRecordIsAnErrorNamingItsLength() {
        byte[] whole = new StoredRecord(List.of(FeatureValue.of("id", "c-17")), EVENT, null, false).encode();
        byte[] cut = Arrays.copyOf(whole, whole.length - 3);

        assertThatThrownBy(() -> StoredRecord.decode(cut))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cut short (" + cut.length + " bytes)");
    }
}
