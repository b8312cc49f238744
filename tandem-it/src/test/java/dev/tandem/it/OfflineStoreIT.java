package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.it.support.CliProcess;
import dev.tandem.it.support.S3ProxyServer;
import dev.tandem.it.support.TandemFixture;
import dev.tandem.it.support.TestClock;
import dev.tandem.runtime.storage.S3Settings;
import dev.tandem.server.features.FeatureStoreSettings;
import dev.tandem.server.tracing.Tracing;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.sagemaker.SageMakerClient;
import software.amazon.awssdk.services.sagemaker.model.CollectionType;
import software.amazon.awssdk.services.sagemaker.model.DescribeFeatureGroupResponse;
import software.amazon.awssdk.services.sagemaker.model.FeatureDefinition;
import software.amazon.awssdk.services.sagemaker.model.FeatureType;
import software.amazon.awssdk.services.sagemaker.model.SageMakerException;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.SageMakerFeatureStoreRuntimeClient;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.DeletionMode;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.FeatureValue;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.TargetStore;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.ValidationErrorException;

/**
 * The offline store end to end: records and deletes written through the feature-store runtime
 * client become Parquet files in SageMaker's layout, in a {@code file:} folder and in an S3 bucket
 * (S3Proxy), read back by DuckDB — a reader that shares no code with the writer — which rebuilds
 * the online state from them; and a server killed with SIGKILL before its flush loses no row.
 */
class OfflineStoreIT {
    private static final Pattern LISTENING = Pattern.compile("Tandem listening on (http://127\\.0\\.0\\.1:\\d+)");
    private static final Pattern FILE_NAME = Pattern.compile("\\d{8}T\\d{6}Z_[0-9a-f]{16}\\.parquet");

    @TempDir
    Path workDir;

    @Test
    void everyWriteAndDeleteLandsAsParquetThatRebuildsTheOnlineState() throws Exception {
        TestClock clock = new TestClock();
        Path offline = Files.createDirectories(workDir.resolve("offline"));
        try (TandemFixture tandem = TandemFixture.start(workDir, fastFlush(), Tracing.off(), clock)) {
            SageMakerClient sm = tandem.sageMaker();
            createCustomers(sm, "customers", "file:" + offline);
            try (SageMakerFeatureStoreRuntimeClient records = runtime(tandem.baseUrl())) {
                put(records, customer("c-1", "2026-01-01T10:00:00Z", "Lisbon"));
                clock.advance(Duration.ofMillis(5));
                // Newer: replaces c-1 online. Older: historic, offline only. Equal: overwrites.
                put(records, customer("c-1", "2026-01-01T11:30:00Z", "Porto"));
                clock.advance(Duration.ofMillis(5));
                put(records, customer("c-1", "2026-01-01T09:00:00Z", "Faro"));
                clock.advance(Duration.ofMillis(5));
                put(records, customer("c-2", "2026-01-01T10:15:00Z", "Braga"));
                clock.advance(Duration.ofMillis(5));
                put(records, customer("c-2", "2026-01-01T10:15:00Z", "Coimbra"));
                clock.advance(Duration.ofMillis(5));
                put(records, customer("c-3", "2026-01-01T10:20:00Z", "Evora"));
                clock.advance(Duration.ofMillis(5));
                put(records, customer("c-4", "2026-01-01T10:25:00Z", "Aveiro"));
                clock.advance(Duration.ofMillis(5));
                // Soft and hard deletes leave markers; a soft delete older than the record leaves one too.
                delete(records, "c-3", "2026-01-01T12:00:00Z", DeletionMode.SOFT_DELETE);
                clock.advance(Duration.ofMillis(5));
                delete(records, "c-4", "2026-01-01T12:00:00Z", DeletionMode.HARD_DELETE);
                clock.advance(Duration.ofMillis(5));
                delete(records, "c-2", "2026-01-01T08:00:00Z", DeletionMode.SOFT_DELETE);
                clock.advance(Duration.ofMillis(5));
                // A HardDelete older than the record is refused and leaves no marker.
                assertThatThrownBy(() -> delete(records, "c-1", "2026-01-01T08:00:00Z", DeletionMode.HARD_DELETE))
                        .isInstanceOf(ValidationErrorException.class);
                // Written to the offline store only: the online store never sees it.
                records.putRecord(r -> r.featureGroupName("customers")
                        .record(customer("c-5", "2026-01-01T10:40:00Z", "Sintra"))
                        .targetStores(TargetStore.OFFLINE_STORE));

                String data = sm.describeFeatureGroup(r -> r.featureGroupName("customers"))
                        .offlineStoreConfig()
                        .s3StorageConfig()
                        .resolvedOutputS3Uri()
                        .substring("file:".length());
                String table = "read_parquet('" + data + "/**/*.parquet', hive_partitioning = true)";
                awaitRows(table, 11);
                List<Path> files = parquetFiles(offline);
                assertThat(files)
                        .allSatisfy(file ->
                                assertThat(file.getFileName().toString()).matches(FILE_NAME));
                assertThat(files)
                        .as("partitioned by the hour of event time")
                        .extracting(file ->
                                Path.of(data).relativize(file.getParent()).toString())
                        .containsOnly(
                                "year=2026/month=01/day=01/hour=08",
                                "year=2026/month=01/day=01/hour=09",
                                "year=2026/month=01/day=01/hour=10",
                                "year=2026/month=01/day=01/hour=11",
                                "year=2026/month=01/day=01/hour=12");

                try (Connection duck = DriverManager.getConnection("jdbc:duckdb:");
                        Statement sql = duck.createStatement()) {
                    try (ResultSet columns = sql.executeQuery("DESCRIBE SELECT * FROM " + table)) {
                        Map<String, String> types = new LinkedHashMap<>();
                        while (columns.next()) {
                            types.put(columns.getString("column_name"), columns.getString("column_type"));
                        }
                        assertThat(types)
                                .containsEntry("customer_id", "VARCHAR")
                                .containsEntry("age", "BIGINT")
                                .containsEntry("balance", "DOUBLE")
                                .containsEntry("tags", "VARCHAR[]")
                                .containsEntry("write_time", "TIMESTAMP WITH TIME ZONE")
                                .containsEntry("api_invocation_time", "TIMESTAMP WITH TIME ZONE")
                                .containsEntry("is_deleted", "BOOLEAN");
                    }
                    assertThat(rows(
                                    sql,
                                    "SELECT concat_ws(' ', customer_id, event_time, coalesce(city, '-'),"
                                            + " CAST(is_deleted AS VARCHAR)) FROM " + table + " WHERE is_deleted"
                                            + " ORDER BY customer_id"))
                            .containsExactly(
                                    "c-2 2026-01-01T08:00:00Z - true",
                                    "c-3 2026-01-01T12:00:00Z - true",
                                    "c-4 2026-01-01T12:00:00Z - true");
                    assertThat(rows(
                                    sql,
                                    "SELECT concat_ws(' ', array_to_string(tags, '|'), CAST(age AS VARCHAR),"
                                            + " CAST(balance AS VARCHAR)) FROM " + table
                                            + " WHERE customer_id = 'c-5'"))
                            .containsExactly("gold|early 41 1234.5");

                    // The usual reading: per identifier, the latest event time, ties to the later call.
                    Map<String, String> rebuilt = new LinkedHashMap<>();
                    for (String row : rows(
                            sql,
                            "SELECT concat(customer_id, '=', CASE WHEN is_deleted THEN 'deleted' ELSE city END) FROM"
                                    + " (SELECT *, row_number() OVER (PARTITION BY customer_id ORDER BY event_time"
                                    + " DESC, api_invocation_time DESC) AS newest FROM " + table
                                    + " WHERE customer_id <> 'c-5') WHERE newest = 1 ORDER BY customer_id")) {
                        String[] parts = row.split("=", -1);
                        rebuilt.put(parts[0], parts[1]);
                    }
                    assertThat(rebuilt)
                            .containsExactly(
                                    Map.entry("c-1", "Porto"),
                                    Map.entry("c-2", "Coimbra"),
                                    Map.entry("c-3", "deleted"),
                                    Map.entry("c-4", "deleted"));
                    rebuilt.forEach((id, city) ->
                            assertThat(online(records, id)).as(id).isEqualTo(city.equals("deleted") ? null : city));
                    assertThat(online(records, "c-5")).isNull();
                }
                assertThat(sm.describeFeatureGroup(r -> r.featureGroupName("customers"))
                                .offlineStoreStatus()
                                .statusAsString())
                        .isEqualTo("Active");
            }
        }
    }

    @Test
    void aServerKilledBeforeItsFlushLosesNoRowOfflineOrOnline() throws Exception {
        Path data = workDir.resolve("data");
        Path offline = Files.createDirectories(workDir.resolve("offline"));
        int written = 200;
        try (CliProcess serve = serve(data)) {
            URI url = URI.create(
                    serve.awaitStderr(LISTENING, Duration.ofSeconds(60)).group(1));
            try (SageMakerClient sm = TandemFixture.pointAt(SageMakerClient.builder(), url, "x", "x")
                            .build();
                    SageMakerFeatureStoreRuntimeClient records = runtime(url)) {
                createCustomers(sm, "killed", "file:" + offline);
                // Half one by one, half in batches (one commit a batch): each acknowledged write counts.
                for (int i = 0; i < written / 2; i++) {
                    put(records, "killed", customer("k-" + i, "2026-02-03T04:05:06Z", "Lisbon"));
                }
                for (int first = written / 2; first < written; first += 25) {
                    String entries = IntStream.range(first, first + 25)
                            .mapToObj(i -> "{\"FeatureGroupName\": \"killed\", \"Record\": ["
                                    + "{\"FeatureName\": \"customer_id\", \"ValueAsString\": \"k-" + i + "\"},"
                                    + "{\"FeatureName\": \"event_time\", \"ValueAsString\": \"2026-02-03T04:05:06Z\"},"
                                    + "{\"FeatureName\": \"city\", \"ValueAsString\": \"Lisbon\"}]}")
                            .collect(Collectors.joining(",", "{\"Entries\": [", "]}"));
                    // The SDK for Java has no BatchWriteRecord: the service's wire shape, by hand.
                    try (HttpClient http = HttpClient.newHttpClient()) {
                        HttpResponse<String> batch = http.send(
                                HttpRequest.newBuilder(url.resolve("/BatchWriteRecord"))
                                        .header("Content-Type", "application/json")
                                        .POST(HttpRequest.BodyPublishers.ofString(entries))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
                        assertThat(batch.body()).contains("\"Errors\":[]");
                    }
                }
            }
            assertThat(parquetFiles(offline)).as("the flush is an hour away").isEmpty();
            serve.process().toHandle().destroyForcibly(); // SIGKILL: no shutdown hook runs
            serve.awaitExit(Duration.ofSeconds(30));
        }
        try (CliProcess restarted = serve(data)) {
            URI url = URI.create(
                    restarted.awaitStderr(LISTENING, Duration.ofSeconds(60)).group(1));
            try (SageMakerFeatureStoreRuntimeClient records = runtime(url)) {
                for (int i = 0; i < written; i++) {
                    String id = "k-" + i;
                    assertThat(records.getRecord(
                                            r -> r.featureGroupName("killed").recordIdentifierValueAsString(id))
                                    .record())
                            .as("online record %s after SIGKILL", id)
                            .isNotEmpty();
                }
            }
            String table = "read_parquet('" + offline + "/**/*.parquet')";
            awaitRows(table, written);
            try (Connection duck = DriverManager.getConnection("jdbc:duckdb:");
                    Statement sql = duck.createStatement()) {
                assertThat(rows(sql, "SELECT CAST(count(DISTINCT customer_id) AS VARCHAR) FROM " + table))
                        .containsExactly(String.valueOf(written));
            }
            assertThat(parquetFiles(offline))
                    .singleElement()
                    .asString()
                    .contains("/year=2026/month=02/day=03/hour=04/");
        }
    }

    @Test
    void anS3LocationGetsTheFilesAndAMissingBucketBlocksTheGroupUntilItExists() throws Exception {
        try (S3ProxyServer s3 = S3ProxyServer.start(Files.createDirectories(workDir.resolve("s3")));
                S3Client bucket = s3.client();
                TandemFixture tandem = TandemFixture.start(
                        workDir,
                        config -> fastFlush()
                                .apply(config)
                                .withS3(S3Settings.at(
                                        s3.endpoint(), S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY)),
                        Tracing.off(),
                        new TestClock());
                SageMakerFeatureStoreRuntimeClient records = runtime(tandem.baseUrl())) {
            SageMakerClient sm = tandem.sageMaker();
            createCustomers(sm, "in-s3", "s3://features/store");
            put(records, "in-s3", customer("s-1", "2026-03-04T05:06:07Z", "Lisbon"));

            awaitTrue(() ->
                    describe(sm, "in-s3").offlineStoreStatus().statusAsString().equals("Blocked"));
            assertThat(describe(sm, "in-s3").offlineStoreStatus().blockedReason())
                    .contains("s3://features/store/000000000000/sagemaker/us-east-1/offline-store/in-s3-");

            bucket.createBucket(b -> b.bucket("features"));
            awaitTrue(() ->
                    describe(sm, "in-s3").offlineStoreStatus().statusAsString().equals("Active"));
            List<S3Object> objects =
                    bucket.listObjectsV2(r -> r.bucket("features").prefix("store/")).contents().stream()
                            .filter(o -> o.key().endsWith(".parquet"))
                            .toList();
            assertThat(objects).hasSize(1);
            assertThat(objects.get(0).key())
                    .matches("store/000000000000/sagemaker/us-east-1/offline-store/in-s3-\\d+/data/year=2026/month=03/"
                            + "day=04/hour=05/20260304T050607Z_[0-9a-f]{16}\\.parquet");
            Path local = workDir.resolve("downloaded.parquet");
            bucket.getObject(r -> r.bucket("features").key(objects.get(0).key()), ResponseTransformer.toFile(local));
            try (Connection duck = DriverManager.getConnection("jdbc:duckdb:");
                    Statement sql = duck.createStatement()) {
                assertThat(rows(sql, "SELECT customer_id || ' ' || city FROM read_parquet('" + local + "')"))
                        .containsExactly("s-1 Lisbon");
            }
        }
    }

    @Test
    void anOfflineLocationThatIsNeitherS3NorAnAbsoluteFolderIsRefusedAtCreation() {
        try (TandemFixture tandem = TandemFixture.start(workDir)) {
            assertThatThrownBy(() -> createCustomers(tandem.sageMaker(), "nowhere", "ftp://host/x"))
                    .isInstanceOf(SageMakerException.class)
                    .hasMessageContaining("Value 'ftp://host/x' at 'offlineStoreConfig.s3StorageConfig.s3Uri' failed to"
                            + " satisfy constraint");
            assertThatThrownBy(() -> createCustomers(tandem.sageMaker(), "nowhere", "file:relative/folder"))
                    .isInstanceOf(SageMakerException.class)
                    .hasMessageContaining("OfflineStoreConfig.S3StorageConfig.S3Uri file:relative/folder must be an"
                            + " absolute path (file:/...)");
            assertThatThrownBy(() -> createCustomers(tandem.sageMaker(), "nowhere", "https://host/bucket"))
                    .isInstanceOf(SageMakerException.class)
                    .hasMessageContaining("must be an s3://bucket/key or a file:/absolute/path location");
        }
    }

    private static java.util.function.UnaryOperator<dev.tandem.server.ServerConfig> fastFlush() {
        return config ->
                config.withFeatures(FeatureStoreSettings.defaults().withOfflineFlushInterval(Duration.ofMillis(200)));
    }

    private CliProcess serve(Path data) {
        return CliProcess.start(
                List.of("serve", "--port", "0", "--data-dir", data.toString(), "--offline-flush-interval", "1h"));
    }

    private static SageMakerFeatureStoreRuntimeClient runtime(URI url) {
        return TandemFixture.pointAt(SageMakerFeatureStoreRuntimeClient.builder(), url, "x", "x")
                .build();
    }

    private static void createCustomers(SageMakerClient sm, String name, String location) {
        sm.createFeatureGroup(r -> r.featureGroupName(name)
                .recordIdentifierFeatureName("customer_id")
                .eventTimeFeatureName("event_time")
                .featureDefinitions(
                        feature("customer_id", FeatureType.STRING),
                        feature("event_time", FeatureType.STRING),
                        feature("age", FeatureType.INTEGRAL),
                        feature("balance", FeatureType.FRACTIONAL),
                        feature("city", FeatureType.STRING),
                        FeatureDefinition.builder()
                                .featureName("tags")
                                .featureType(FeatureType.STRING)
                                .collectionType(CollectionType.LIST)
                                .build())
                .onlineStoreConfig(o -> o.enableOnlineStore(true))
                .offlineStoreConfig(o -> o.s3StorageConfig(s -> s.s3Uri(location))));
    }

    private static FeatureDefinition feature(String name, FeatureType type) {
        return FeatureDefinition.builder().featureName(name).featureType(type).build();
    }

    private static FeatureValue value(String name, String value) {
        return FeatureValue.builder().featureName(name).valueAsString(value).build();
    }

    private static List<FeatureValue> customer(String id, String eventTime, String city) {
        return List.of(
                value("customer_id", id),
                value("event_time", eventTime),
                value("age", "41"),
                value("balance", "1234.5"),
                value("city", city),
                FeatureValue.builder()
                        .featureName("tags")
                        .valueAsStringList("gold", "early")
                        .build());
    }

    private static void put(SageMakerFeatureStoreRuntimeClient records, List<FeatureValue> record) {
        put(records, "customers", record);
    }

    private static void put(SageMakerFeatureStoreRuntimeClient records, String group, List<FeatureValue> record) {
        records.putRecord(r -> r.featureGroupName(group).record(record));
    }

    private static void delete(
            SageMakerFeatureStoreRuntimeClient records, String id, String eventTime, DeletionMode mode) {
        records.deleteRecord(r -> r.featureGroupName("customers")
                .recordIdentifierValueAsString(id)
                .eventTime(eventTime)
                .deletionMode(mode));
    }

    /** The record's city in the online store, or null when GetRecord finds none. */
    private static String online(SageMakerFeatureStoreRuntimeClient records, String id) {
        return records
                .getRecord(r -> r.featureGroupName("customers")
                        .recordIdentifierValueAsString(id)
                        .featureNames("city"))
                .record()
                .stream()
                .findFirst()
                .map(FeatureValue::valueAsString)
                .orElse(null);
    }

    private static DescribeFeatureGroupResponse describe(SageMakerClient sm, String name) {
        return sm.describeFeatureGroup(r -> r.featureGroupName(name));
    }

    private static List<String> rows(Statement sql, String query) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (ResultSet result = sql.executeQuery(query)) {
            while (result.next()) {
                rows.add(result.getString(1));
            }
        }
        return rows;
    }

    private static List<Path> parquetFiles(Path folder) throws IOException {
        try (Stream<Path> files = Files.walk(folder)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".parquet"))
                    .sorted()
                    .toList();
        }
    }

    /** Waits until DuckDB reads {@code count} rows from {@code table}: the flush runs on its own timer. */
    private static void awaitRows(String table, int count) {
        awaitTrue(() -> {
            try (Connection duck = DriverManager.getConnection("jdbc:duckdb:");
                    Statement sql = duck.createStatement()) {
                return rows(sql, "SELECT CAST(count(*) AS VARCHAR) FROM " + table)
                        .equals(List.of(String.valueOf(count)));
            } catch (SQLException noFilesYet) {
                return false;
            }
        });
    }

    private static void awaitTrue(BooleanSupplier condition) {
        Instant deadline = Instant.now().plusSeconds(30);
        while (!condition.getAsBoolean()) {
            assertThat(Instant.now()).isBefore(deadline);
            TandemFixture.sleep(Duration.ofMillis(50));
        }
    }
}
