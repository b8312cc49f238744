package dev.tandem.server.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.core.error.ValidationException;
import dev.tandem.runtime.storage.Locations;
import dev.tandem.runtime.storage.ObjectStore;
import dev.tandem.runtime.storage.S3Settings;
import dev.tandem.server.MovableClock;
import dev.tandem.server.features.offline.OfflineStore;
import dev.tandem.server.store.H2StateStore;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The record rules over the embedded online store, with time that the test moves. */
class FeatureStoreTest {
    @TempDir
    Path dataDir;

    private final MovableClock clock = new MovableClock(Instant.parse("2026-06-01T00:00:00Z"));
    private H2StateStore state;
    private MvStoreOnlineStore online;
    private FeatureStore store;
    private OfflineStore offline;
    private FeatureGroup group;

    @BeforeEach
    void open() throws Exception {
        state = H2StateStore.open(dataDir);
        online = MvStoreOnlineStore.open(dataDir.resolve("features"));
        FeatureGroups groups = new FeatureGroups(
                state,
                online,
                name -> "arn:aws:sagemaker:us-east-1:000000000000:feature-group/" + name,
                "us-east-1",
                "000000000000",
                clock);
        offline = OfflineStore.open(
                dataDir.resolve("offline"),
                groups,
                new Locations(new ObjectStore(S3Settings.fromEnvironment(java.util.Map.of()))),
                clock);
        store = new FeatureStore(groups, online, offline, clock);
        group = groups.create(
                new ObjectMapper()
                        .readTree(
                                """
                {"FeatureGroupName": "g", "RecordIdentifierFeatureName": "id", "EventTimeFeatureName": "t",
                 "FeatureDefinitions": [
                   {"FeatureName": "id", "FeatureType": "Integral"},
                   {"FeatureName": "t", "FeatureType": "String"},
                   {"FeatureName": "x", "FeatureType": "Fractional"}],
                 "OnlineStoreConfig": {"EnableOnlineStore": true}}
                """));
    }

    @AfterEach
    void close() {
        offline.close();
        online.close();
        state.close();
    }

    private FeatureStore.Outcome put(String id, String time, String x, TtlDuration ttl) {
        return store.put(
                store.check(
                        group, List.of(FeatureValue.of("id", id), FeatureValue.of("t", time), FeatureValue.of("x", x))),
                List.of(),
                ttl);
    }

    private String x(String id) {
        return store.get(group, id, List.of("x"))
                .orElseThrow()
                .features()
                .get(0)
                .value();
    }

    @Test
    void aNewerOrEqualEventTimeWinsAnOlderOneIsHistoric() {
        assertThat(put("1", "2026-05-01T00:00:00Z", "1.0", null)).isEqualTo(FeatureStore.Outcome.WRITTEN);
        assertThat(put("1", "2026-04-01T00:00:00Z", "2.0", null)).isEqualTo(FeatureStore.Outcome.HISTORIC);
        assertThat(x("1")).isEqualTo("1.0");
        assertThat(put("1", "2026-05-01T00:00:00Z", "3.0", null)).isEqualTo(FeatureStore.Outcome.WRITTEN);
        assertThat(x("1")).isEqualTo("3.0");
    }

    @Test
    void anIntegralIdentifierNamesOneRecordHoweverItIsSpelled() {
        put("7.0", "2026-05-01T00:00:00Z", "1.5", null);
        assertThat(x("7")).isEqualTo("1.5");
        assertThatThrownBy(() -> store.get(group, "seven", List.of())).isInstanceOf(ValidationException.class);
    }

    @Test
    void anExpiredRecordIsHiddenAtOnceAndRemovedLater() {
        put("2", "2026-05-31T23:00:00Z", "1.0", new TtlDuration("Hours", 2));
        assertThat(store.get(group, "2", List.of()).orElseThrow().expiresAt())
                .isEqualTo(Instant.parse("2026-06-01T01:00:00Z"));
        clock.advance(Duration.ofHours(1));
        assertThat(store.get(group, "2", List.of())).isEmpty();
        assertThat(store.list(group, null, 10, true).ids()).isEmpty();
        assertThat(store.removeExpired()).isEqualTo(1);
        // Once expired, any write is the record's first.
        assertThat(put("2", "2026-01-01T00:00:00Z", "9.0", null)).isEqualTo(FeatureStore.Outcome.WRITTEN);
    }

    @Test
    void listingPagesInIdentifierOrderSkippingSoftDeletedRecords() {
        for (int i = 1; i <= 5; i++) {
            put(Integer.toString(i), "2026-05-01T00:00:00Z", "1", null);
        }
        store.delete(group, "3", "2026-05-02T00:00:00Z", List.of(), FeatureStore.DeletionMode.SoftDelete);

        FeatureStore.Page first = store.list(group, null, 2, false);
        assertThat(first.ids()).containsExactly("1", "2");
        FeatureStore.Page second = store.list(group, first.lastId(), 2, false);
        assertThat(second.ids()).containsExactly("4", "5");
        assertThat(store.list(group, null, 10, true).ids()).containsExactly("1", "2", "3", "4", "5");
    }

    @Test
    void valuesAreCheckedAgainstTheirTypes() {
        FeatureType.INTEGRAL.check("a", "5.0");
        FeatureType.FRACTIONAL.check("a", "1e3");
        assertThatThrownBy(() -> FeatureType.INTEGRAL.check("a", "5.5")).hasMessageContaining("not Integral");
        assertThatThrownBy(() -> FeatureType.INTEGRAL.check("a", "9223372036854775808"))
                .hasMessageContaining("not Integral");
        assertThatThrownBy(() -> FeatureType.FRACTIONAL.check("a", "NaN")).hasMessageContaining("not Fractional");
        assertThatThrownBy(() -> FeatureType.FRACTIONAL.check("a", "1f")).hasMessageContaining("not Fractional");
    }

    @Test
    void eventTimesAreIsoUtcOrEpochSeconds() {
        assertThat(EventTimes.parse("t", FeatureType.STRING, "2026-05-01T10:00:00.123Z"))
                .isEqualTo(Instant.parse("2026-05-01T10:00:00.123Z"));
        assertThat(EventTimes.parse("t", FeatureType.FRACTIONAL, "1777629600.5"))
                .isEqualTo(Instant.ofEpochMilli(1_777_629_600_500L));
        assertThatThrownBy(() -> EventTimes.parse("t", FeatureType.STRING, "2026-05-01 10:00"))
                .hasMessageContaining("not an ISO-8601 UTC time");
    }
}
