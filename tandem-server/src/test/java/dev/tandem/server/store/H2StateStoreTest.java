package dev.tandem.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class H2StateStoreTest {
    @TempDir
    Path dataDir;

    private static final Instant T0 = Instant.parse("2026-11-24T10:15:30.123Z");

    @Test
    void keepsWhatWasWrittenAcrossAReopen() {
        try (H2StateStore store = H2StateStore.open(dataDir)) {
            assertThat(store.insertModel(new StoredModel("m", "arn:m", "{\"ModelName\":\"m\"}", T0)))
                    .isTrue();
            assertThat(store.insertEndpointConfig(new StoredEndpointConfig("c", "arn:c", "{}", T0)))
                    .isTrue();
            assertThat(store.insertEndpoint(new StoredEndpoint("e", "arn:e", "c", "{}", "Creating", null, T0, T0)))
                    .isTrue();
            store.updateEndpoint(store.endpoint("e").orElseThrow().withStatus("InService", null, T0.plusSeconds(5)));
        }
        try (H2StateStore store = H2StateStore.open(dataDir)) {
            assertThat(store.model("m")).contains(new StoredModel("m", "arn:m", "{\"ModelName\":\"m\"}", T0));
            assertThat(store.endpointConfigs())
                    .extracting(StoredEndpointConfig::name)
                    .containsExactly("c");
            StoredEndpoint endpoint = store.endpoint("e").orElseThrow();
            assertThat(endpoint.status()).isEqualTo("InService");
            assertThat(endpoint.lastModifiedAt()).isEqualTo(T0.plusSeconds(5));
        }
    }

    @Test
    void refusesDuplicatesAndDeletesOnce() {
        try (H2StateStore store = H2StateStore.open(dataDir)) {
            store.insertModel(new StoredModel("m", "arn:m", "{}", T0));

            assertThat(store.insertModel(new StoredModel("m", "arn:m", "{}", T0)))
                    .isFalse();
            assertThat(store.deleteModel("m")).isTrue();
            assertThat(store.deleteModel("m")).isFalse();
            assertThat(store.models()).isEmpty();
        }
    }
}
