package dev.tandem.server.features;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MvStoreOnlineStoreTest {
    private static final Instant EVENT = Instant.parse("2026-03-04T05:06:07Z");

    @TempDir
    Path folder;

    private static StoredRecord record(String id) {
        return new StoredRecord(List.of(FeatureValue.of("id", id), FeatureValue.of("n", "1")), EVENT, null, false);
    }

    @Test
    void recordsTheFirstStoresKeptAsJsonTextStillRead() {
        MVStore first = new MVStore.Builder()
                .fileName(folder.resolve("online.mv").toString())
                .open();
        MVMap<String, String> map = first.openMap("group/g");
        map.put("7", "{\"t\":" + EVENT.toEpochMilli() + ",\"f\":[{\"FeatureName\":\"id\",\"ValueAsString\":\"7\"}]}");
        first.close();

        try (MvStoreOnlineStore store = MvStoreOnlineStore.open(folder)) {
            assertThat(store.get("g", "7"))
                    .contains(new StoredRecord(List.of(FeatureValue.of("id", "7")), EVENT, null, false));
            // Rewritten in the binary form on its next change, and read back as such.
            store.update("g", "7", current -> record("7"));
            store.sync();
            assertThat(store.get("g", "7")).contains(record("7"));
        }
    }

    @Test
    void concurrentWritersThatSyncFindTheirWritesAfterReopening() throws Exception {
        int writers = 16;
        int each = 50;
        try (MvStoreOnlineStore store = MvStoreOnlineStore.open(folder);
                var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                done.add(threads.submit(() -> {
                    for (int i = 0; i < each; i++) {
                        String id = writer + "-" + i;
                        store.update("g", id, current -> record(id));
                        store.sync();
                        assertThat(store.get("g", id)).contains(record(id));
                    }
                }));
            }
            for (Future<?> writer : done) {
                writer.get();
            }
        }
        try (MvStoreOnlineStore reopened = MvStoreOnlineStore.open(folder)) {
            assertThat(reopened.getAll("g", List.of("0-0", "15-49", "no-such"))).containsOnlyKeys("0-0", "15-49");
            assertThat(reopened.page("g", null, 10_000)).hasSize(writers * each);
        }
    }
}
