package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.it.support.RedisServer;
import dev.tandem.it.support.TandemFixture;
import dev.tandem.server.ServerConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sagemaker.SageMakerClient;
import software.amazon.awssdk.services.sagemaker.model.FeatureDefinition;
import software.amazon.awssdk.services.sagemaker.model.FeatureType;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.SageMakerFeatureStoreRuntimeClient;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.FeatureValue;

/**
 * The whole feature-store suite again with the online store in a real Redis ({@code
 * redis-server}, started by the test), and what only a shared store can do: two servers reading
 * each other's writes at once.
 */
class FeatureStoreOnRedisIT extends FeatureStoreIT {
    private RedisServer redis;

    @Override
    protected ServerConfig configure(ServerConfig config) {
        if (redis == null) {
            redis = RedisServer.start(workDir.resolve("redis"));
        }
        return config.withFeatures(config.features().withRedis(redis.uri()));
    }

    @AfterAll
    void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void twoServersOnOneRedisReadEachOthersWritesAtOnce() {
        Path second = workDir.resolve("second-server");
        try (TandemFixture a = TandemFixture.start(workDir.resolve("first-server"), this::configure);
                TandemFixture b = TandemFixture.start(second, this::configure);
                SageMakerFeatureStoreRuntimeClient writer = client(a);
                SageMakerFeatureStoreRuntimeClient reader = client(b)) {
            // Each server keeps its own feature-group definitions; the records are shared.
            for (SageMakerClient sm : List.of(a.sageMaker(), b.sageMaker())) {
                sm.createFeatureGroup(r -> r.featureGroupName("shared")
                        .recordIdentifierFeatureName("id")
                        .eventTimeFeatureName("t")
                        .featureDefinitions(
                                FeatureDefinition.builder()
                                        .featureName("id")
                                        .featureType(FeatureType.STRING)
                                        .build(),
                                FeatureDefinition.builder()
                                        .featureName("t")
                                        .featureType(FeatureType.STRING)
                                        .build(),
                                FeatureDefinition.builder()
                                        .featureName("score")
                                        .featureType(FeatureType.FRACTIONAL)
                                        .build())
                        .onlineStoreConfig(o -> o.enableOnlineStore(true)));
            }
            for (int i = 0; i < 50; i++) {
                String id = "r-" + i;
                String score = Integer.toString(i);
                writer.putRecord(r -> r.featureGroupName("shared")
                        .record(value("id", id), value("t", "2026-01-01T00:00:00Z"), value("score", score)));
                assertThat(reader.getRecord(r -> r.featureGroupName("shared").recordIdentifierValueAsString(id))
                                .record())
                        .as("written on one server, read on the other at once")
                        .contains(value("score", score));
            }
        }
    }

    private static SageMakerFeatureStoreRuntimeClient client(TandemFixture server) {
        return TandemFixture.pointAt(SageMakerFeatureStoreRuntimeClient.builder(), server.baseUrl(), "x", "x")
                .build();
    }

    private static FeatureValue value(String name, String value) {
        return FeatureValue.builder().featureName(name).valueAsString(value).build();
    }
}
