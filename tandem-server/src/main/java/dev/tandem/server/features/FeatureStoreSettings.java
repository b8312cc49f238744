package dev.tandem.server.features;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How the feature store keeps its records.
 *
 * @param offlineFlushInterval how often rows waiting in the offline journal are written to Parquet
 *     files (1 minute; SageMaker's offline store lags up to 15 minutes): the files' freshness
 *     against how many small files an hour of steady writes makes
 * @param redis the Redis that holds the online store, {@code redis://host:port[/database]}, shared
 *     by every server pointed at it; null for the embedded store in the data dir (the default)
 */
public record FeatureStoreSettings(Duration offlineFlushInterval, @Nullable URI redis) {
    public FeatureStoreSettings {
        Objects.requireNonNull(offlineFlushInterval, "offline-flush-interval");
        if (offlineFlushInterval.isNegative() || offlineFlushInterval.isZero()) {
            throw new IllegalArgumentException("offline-flush-interval must be positive, was " + offlineFlushInterval);
        }
        if (redis != null && !"redis".equals(redis.getScheme())) {
            throw new IllegalArgumentException("online-store must be a redis://host:port URL, was " + redis);
        }
    }

    public static FeatureStoreSettings defaults() {
        return new FeatureStoreSettings(Duration.ofMinutes(1), null);
    }

    public FeatureStoreSettings withOfflineFlushInterval(Duration value) {
        return new FeatureStoreSettings(value, redis);
    }

    public FeatureStoreSettings withRedis(@Nullable URI value) {
        return new FeatureStoreSettings(offlineFlushInterval, value);
    }

    /** Opens the online store: in Redis when one is set, else embedded under {@code folder}. */
    public OnlineStore openOnlineStore(Path folder) {
        return redis != null ? RedisOnlineStore.connect(redis) : MvStoreOnlineStore.open(folder);
    }
}
