package dev.tandem.server.features.offline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.runtime.storage.Locations;
import dev.tandem.runtime.storage.ObjectStore;
import dev.tandem.runtime.storage.S3Settings;
import dev.tandem.server.MovableClock;
import dev.tandem.server.features.FeatureGroup;
import dev.tandem.server.features.FeatureGroups;
import dev.tandem.server.features.FeatureValue;
import dev.tandem.server.features.MvStoreOnlineStore;
import dev.tandem.server.store.H2StateStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The journal and the flush beneath the offline store: what a crash leaves, and what a flush makes of it. */
class OfflineStoreTest {
    @TempDir
    Path dataDir;

    private final MovableClock clock = new MovableClock(Instant.parse("2026-06-01T00:00:00Z"));
    private H2StateStore state;
    private MvStoreOnlineStore online;
    private ObjectStore objects;
    private FeatureGroups groups;
    private FeatureGroup group;
    private Path offline;

    @BeforeEach
    void open() throws Exception {
        state = H2StateStore.open(dataDir);
        online = MvStoreOnlineStore.open(dataDir.resolve("features"));
        objects = new ObjectStore(S3Settings.fromEnvironment(Map.of()));
        groups = new FeatureGroups(
                state,
                online,
                name -> "arn:aws:sagemaker:us-east-1:000000000000:feature-group/" + name,
                "us-east-1",
                "000000000000",
                clock);
        offline = dataDir.resolve("offline");
        group = groups.create(new ObjectMapper()
                .readTree(
                        """
                {"FeatureGroupName": "g", "RecordIdentifierFeatureName": "id", "EventTimeFeatureName": "t",
                 "FeatureDefinitions": [
                   {"FeatureName": "id", "FeatureType": "Integral"},
                   {"FeatureName": "t", "FeatureType": "Fractional"},
                   {"FeatureName": "x", "FeatureType": "String"}],
                 "OfflineStoreConfig": {"S3StorageConfig": {"S3Uri": "file:%s"}}}
                """
                                .formatted(offline)));
    }

    @AfterEach
    void close() {
        objects.close();
        online.close();
        state.close();
    }

    private OfflineStore store() {
        return OfflineStore.open(dataDir.resolve("journal"), groups, new Locations(objects), clock);
    }

    private OfflineRow row(long id, String eventTime) {
        return new OfflineRow(
                "g",
                group.offlineUri(),
                List.of(
                        FeatureValue.of("id", Long.toString(id)),
                        FeatureValue.of("t", eventTime),
                        FeatureValue.of("x", "v")),
                Instant.ofEpochSecond(Long.parseLong(eventTime)),
                clock.instant(),
                false);
    }

    private List<Path> parquetFiles() throws IOException {
        if (!Files.exists(offline)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(offline)) {
            return files.filter(f -> f.toString().endsWith(".parquet")).sorted().toList();
        }
    }

    @Test
    void rowsLeftInTheJournalByAKillGoOutAtTheNextStartAndALineCutShortIsSkipped() throws IOException {
        OfflineStore first = store();
        first.append(group, row(1, "1780000000"));
        first.append(group, row(2, "1780000000"));
        // Killed: no close, no flush; and the last append was cut short.
        Path segment;
        try (Stream<Path> files = Files.list(dataDir.resolve("journal/journal"))) {
            segment = files.filter(f -> f.toString().endsWith(".jsonl"))
                    .findFirst()
                    .orElseThrow();
        }
        Files.writeString(segment, "{\"group\":\"g\",\"loc", StandardCharsets.UTF_8, StandardOpenOption.APPEND);

        OfflineStore second = store();
        assertThat(second.flush()).isEqualTo(2);
        assertThat(parquetFiles()).singleElement().asString().contains("/year=2026/month=05/day=28/hour=20/");
        assertThat(second.flush()).as("nothing left").isZero();
        second.close();
    }

    @Test
    void aSegmentWrittenAgainAfterACrashReplacesItsFilesInsteadOfDoublingThem() throws IOException {
        OfflineStore store = store();
        store.append(group, row(1, "1780000000"));
        store.append(group, row(2, "1780007200"));
        Path journal = dataDir.resolve("journal/journal");
        Path saved = Files.createDirectories(dataDir.resolve("saved"));
        // The segment as a crash after publishing and before forgetting it would leave it.
        store.flush();
        List<Path> written = parquetFiles();
        assertThat(written).hasSize(2);
        store.close();

        OfflineStore replay = store();
        replay.append(group, row(3, "1780000000"));
        List<Path> segments;
        try (Stream<Path> files = Files.list(journal)) {
            segments = files.filter(f -> f.toString().endsWith(".jsonl")).toList();
        }
        for (Path segment : segments) {
            Files.copy(segment, saved.resolve(segment.getFileName()));
        }
        replay.flush();
        List<Path> once = parquetFiles();
        for (Path segment : segments) {
            Files.copy(saved.resolve(segment.getFileName()), segment);
        }
        assertThat(replay.flush()).isEqualTo(1);
        assertThat(parquetFiles()).as("the same names again").isEqualTo(once).hasSize(3);
        replay.close();
    }

    @Test
    void rowsOfAGroupDeletedBeforeTheFlushStillGoOutInItsColumns() throws Exception {
        OfflineStore store = store();
        store.append(group, row(1, "1780000000"));
        groups.delete("g");
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (groups.find("g") != null && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(groups.find("g")).isNull();

        assertThat(store.flush()).isEqualTo(1);
        assertThat(parquetFiles()).hasSize(1);
        store.close();
    }
}
