package dev.tandem.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.runtime.storage.S3Settings;
import dev.tandem.server.async.AsyncOptions;
import dev.tandem.server.batch.SparkSettings;
import dev.tandem.server.endpoint.InFlightLimit;
import dev.tandem.server.features.FeatureStoreSettings;
import dev.tandem.server.http.ConnectionLimits;
import dev.tandem.server.http.IoTransport;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServerConfigTest {
    private final ServerConfig defaults = ServerConfig.defaults();

    @Test
    void defaultsAreTheDocumentedOnes() {
        assertThat(defaults.host()).isEqualTo("127.0.0.1");
        assertThat(defaults.port()).isEqualTo(8080);
        assertThat(defaults.dataDir()).isEqualTo(Path.of(".tandem"));
        assertThat(defaults.maxPayloadBytes()).isEqualTo(6_291_456L);
        assertThat(defaults.startupTimeout()).isEqualTo(Duration.ofSeconds(600));
        assertThat(defaults.region()).isEqualTo("us-east-1");
        assertThat(defaults.accountId()).isEqualTo("000000000000");
        assertThat(defaults.accessKeys()).isEmpty();
        assertThat(defaults.maxInstances()).isEqualTo(64);
        assertThat(defaults.metrics()).isTrue();
    }

    @Test
    void eachWitherChangesItsKeyOnly() {
        ServerConfig changed = defaults.withPort(9000)
                .withHost("0.0.0.0")
                .withDataDir(Path.of("/srv/tandem"))
                .withMaxPayloadBytes(1024)
                .withStartupTimeout(Duration.ofSeconds(5))
                .withIdentity("eu-west-1", "123456789012")
                .withAccessKeys(Map.of("AKID", "secret"))
                .withMaxInstances(4)
                .withMetrics(false)
                .withS3(S3Settings.at(URI.create("http://127.0.0.1:9000"), "key", "secret"))
                .withAsync(AsyncOptions.defaults().withScaleInAfter(Duration.ofSeconds(7)))
                .withUnauthenticatedBeyondLoopback(true)
                .withInFlight(new InFlightLimit(3, 2))
                .withServerlessIdle(Duration.ofSeconds(9))
                .withOpenMetrics(true)
                .withConnections(new ConnectionLimits(Duration.ofSeconds(3), 99))
                .withIoTransport(IoTransport.NIO)
                .withFeatures(FeatureStoreSettings.defaults()
                        .withOfflineFlushInterval(Duration.ofSeconds(2))
                        .withRedis(URI.create("redis://127.0.0.1:6379")))
                .withInstanceOf("penguins")
                .withSpark(new SparkSettings(
                        "spark://127.0.0.1:7077", Path.of("/opt/spark"), Map.of("spark.cores.max", "4")));

        assertThat(changed)
                .isEqualTo(new ServerConfig(
                        "0.0.0.0",
                        9000,
                        Path.of("/srv/tandem"),
                        1024,
                        Duration.ofSeconds(5),
                        "eu-west-1",
                        "123456789012",
                        defaults.runtime(),
                        Map.of("AKID", "secret"),
                        4,
                        false,
                        S3Settings.at(URI.create("http://127.0.0.1:9000"), "key", "secret"),
                        new AsyncOptions(Duration.ofSeconds(7), 3, Map.of()),
                        true,
                        new InFlightLimit(3, 2),
                        Duration.ofSeconds(9),
                        true,
                        new ConnectionLimits(Duration.ofSeconds(3), 99),
                        IoTransport.NIO,
                        new FeatureStoreSettings(Duration.ofSeconds(2), URI.create("redis://127.0.0.1:6379")),
                        "penguins",
                        new SparkSettings(
                                "spark://127.0.0.1:7077", Path.of("/opt/spark"), Map.of("spark.cores.max", "4"))));
        assertThat(changed.loopbackOnly()).isFalse();
        assertThat(defaults.loopbackOnly()).isTrue();
        assertThat(defaults.withPort(1).withPort(8080)).isEqualTo(defaults);
    }

    @Test
    void invalidValuesAreRefusedNamingTheKey() {
        assertThatThrownBy(() -> defaults.withPort(70_000)).hasMessage("port must be 0 to 65535, was 70000");
        assertThatThrownBy(() -> defaults.withMaxPayloadBytes(0)).hasMessage("max-payload must be positive, was 0");
        assertThatThrownBy(() -> defaults.withStartupTimeout(Duration.ZERO))
                .hasMessageStartingWith("startup-timeout must be positive");
        assertThatThrownBy(() -> defaults.withIdentity("us-east-1", "42"))
                .hasMessage("account-id must be 12 digits, was '42'");
        assertThatThrownBy(() -> defaults.withMaxInstances(0)).hasMessage("max-instances must be at least 1, was 0");
        assertThatThrownBy(() -> AsyncOptions.defaults().withScaleInAfter(Duration.ofSeconds(-1)))
                .hasMessageStartingWith("async-scale-in-after must not be negative");
        assertThatThrownBy(() -> ConnectionLimits.defaults().withIdleTimeout(Duration.ZERO))
                .hasMessage("idle-timeout must be positive, was PT0S");
        assertThatThrownBy(() -> ConnectionLimits.defaults().withMaxConnections(0))
                .hasMessage("max-connections must be at least 1, was 0");
        assertThat(ConnectionLimits.defaults().maxConnections()).isBetween(256, 10_000);
    }
}
