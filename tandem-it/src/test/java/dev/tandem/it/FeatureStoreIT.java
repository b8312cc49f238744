package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.it.support.TandemFixture;
import dev.tandem.it.support.TestClock;
import dev.tandem.server.ServerConfig;
import dev.tandem.server.tracing.Tracing;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.sagemaker.SageMakerClient;
import software.amazon.awssdk.services.sagemaker.model.CollectionType;
import software.amazon.awssdk.services.sagemaker.model.CreateFeatureGroupRequest;
import software.amazon.awssdk.services.sagemaker.model.DescribeFeatureGroupResponse;
import software.amazon.awssdk.services.sagemaker.model.FeatureDefinition;
import software.amazon.awssdk.services.sagemaker.model.FeatureGroupSortOrder;
import software.amazon.awssdk.services.sagemaker.model.FeatureGroupStatus;
import software.amazon.awssdk.services.sagemaker.model.FeatureParameter;
import software.amazon.awssdk.services.sagemaker.model.FeatureType;
import software.amazon.awssdk.services.sagemaker.model.ListFeatureGroupsRequest;
import software.amazon.awssdk.services.sagemaker.model.OfflineStoreConfig;
import software.amazon.awssdk.services.sagemaker.model.OnlineStoreConfig;
import software.amazon.awssdk.services.sagemaker.model.OnlineStoreConfigUpdate;
import software.amazon.awssdk.services.sagemaker.model.ResourceInUseException;
import software.amazon.awssdk.services.sagemaker.model.ResourceNotFoundException;
import software.amazon.awssdk.services.sagemaker.model.S3StorageConfig;
import software.amazon.awssdk.services.sagemaker.model.SageMakerException;
import software.amazon.awssdk.services.sagemaker.model.TtlDuration;
import software.amazon.awssdk.services.sagemaker.model.TtlDurationUnit;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.SageMakerFeatureStoreRuntimeClient;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.BatchGetRecordIdentifier;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.BatchGetRecordRequest;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.BatchGetRecordResponse;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.DeleteRecordRequest;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.DeletionMode;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.ExpirationTimeResponse;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.FeatureValue;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.GetRecordRequest;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.GetRecordResponse;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.PutRecordRequest;
import software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.ValidationErrorException;

/**
 * The feature store through the AWS SDK for Java v2 — the SageMaker client for feature groups, the
 * {@code sagemaker-featurestore-runtime} client for records — and, for the two 2026 operations that
 * SDK lacks (BatchWriteRecord, ListRecords), plain HTTP in the service's wire shape. Time comes from
 * a test clock, so that TTLs pass at once.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FeatureStoreIT {
    @TempDir
    static Path workDir;

    private static final ObjectMapper JSON = new ObjectMapper();
    private final TestClock clock = new TestClock();
    private TandemFixture tandem;
    private SageMakerClient sm;
    private SageMakerFeatureStoreRuntimeClient records;

    @BeforeAll
    void start() {
        tandem = startServer();
        sm = tandem.sageMaker();
        records = runtimeClient(tandem);
        createCustomers("customers", true);
    }

    private TandemFixture startServer() {
        return TandemFixture.start(workDir, this::configure, Tracing.off(), clock);
    }

    /** The server's settings for this run of the suite: the embedded online store here. */
    protected ServerConfig configure(ServerConfig config) {
        return config;
    }

    private static SageMakerFeatureStoreRuntimeClient runtimeClient(TandemFixture server) {
        return TandemFixture.pointAt(SageMakerFeatureStoreRuntimeClient.builder(), server.baseUrl(), "test", "test")
                .build();
    }

    @AfterAll
    void stop() {
        tandem.close();
    }

    private void createCustomers(String name, boolean withOnlineTtl) {
        OnlineStoreConfig.Builder online = OnlineStoreConfig.builder().enableOnlineStore(true);
        if (withOnlineTtl) {
            // Ten years: the tests write event times of this year.
            online.ttlDuration(
                    TtlDuration.builder().unit(TtlDurationUnit.WEEKS).value(520).build());
        }
        sm.createFeatureGroup(CreateFeatureGroupRequest.builder()
                .featureGroupName(name)
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
                .onlineStoreConfig(online.build())
                .description("customers for the tests")
                .build());
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

    private void put(String group, List<FeatureValue> record) {
        records.putRecord(PutRecordRequest.builder()
                .featureGroupName(group)
                .record(record)
                .build());
    }

    private GetRecordResponse get(String group, String id, String... featureNames) {
        GetRecordRequest.Builder request =
                GetRecordRequest.builder().featureGroupName(group).recordIdentifierValueAsString(id);
        if (featureNames.length > 0) {
            request.featureNames(featureNames);
        }
        return records.getRecord(request.build());
    }

    private static Map<String, String> asMap(List<FeatureValue> record) {
        Map<String, String> values = new java.util.LinkedHashMap<>();
        for (FeatureValue value : record) {
            values.put(
                    value.featureName(),
                    value.valueAsString() != null ? value.valueAsString() : String.valueOf(value.valueAsStringList()));
        }
        return values;
    }

    @Test
    void aGroupIsCreatedDescribedByNameAndArnAndListed() {
        DescribeFeatureGroupResponse described = sm.describeFeatureGroup(r -> r.featureGroupName("customers"));
        assertThat(described.featureGroupStatus()).isEqualTo(FeatureGroupStatus.CREATED);
        assertThat(described.featureGroupArn())
                .isEqualTo("arn:aws:sagemaker:us-east-1:000000000000:feature-group/customers");
        assertThat(described.recordIdentifierFeatureName()).isEqualTo("customer_id");
        assertThat(described.featureDefinitions()).hasSize(6);
        assertThat(described.featureDefinitions().get(5).collectionType()).isEqualTo(CollectionType.LIST);
        assertThat(described.onlineStoreConfig().ttlDuration().value()).isEqualTo(520);
        assertThat(described.description()).isEqualTo("customers for the tests");

        assertThat(sm.describeFeatureGroup(r -> r.featureGroupName(described.featureGroupArn()))
                        .featureGroupName())
                .isEqualTo("customers");

        createCustomers("listed-a", false);
        createCustomers("listed-b", false);
        var page = sm.listFeatureGroups(ListFeatureGroupsRequest.builder()
                .nameContains("listed")
                .sortBy("Name")
                .sortOrder(FeatureGroupSortOrder.ASCENDING)
                .maxResults(1)
                .build());
        assertThat(page.featureGroupSummaries())
                .extracting(s -> s.featureGroupName())
                .containsExactly("listed-a");
        var next = sm.listFeatureGroups(ListFeatureGroupsRequest.builder()
                .nameContains("listed")
                .sortBy("Name")
                .sortOrder(FeatureGroupSortOrder.ASCENDING)
                .maxResults(1)
                .nextToken(page.nextToken())
                .build());
        assertThat(next.featureGroupSummaries())
                .extracting(s -> s.featureGroupName())
                .containsExactly("listed-b");
    }

    @Test
    void createIsCheckedAsSageMakerChecksIt() {
        assertThatThrownBy(() -> createCustomers("customers", false))
                .isInstanceOf(ResourceInUseException.class)
                .hasMessageContaining("Resource Already Exists: FeatureGroup with name customers already exists");
        assertThatThrownBy(() -> sm.describeFeatureGroup(r -> r.featureGroupName("nobody")))
                .isInstanceOf(ResourceNotFoundException.class)
                .hasMessageContaining("nobody");
        assertThatThrownBy(() -> sm.createFeatureGroup(r -> r.featureGroupName("reserved")
                        .recordIdentifierFeatureName("id")
                        .eventTimeFeatureName("t")
                        .featureDefinitions(
                                feature("id", FeatureType.STRING),
                                feature("t", FeatureType.STRING),
                                feature("write_time", FeatureType.STRING))
                        .onlineStoreConfig(o -> o.enableOnlineStore(true))))
                .isInstanceOf(SageMakerException.class)
                .hasMessageContaining("write_time is reserved");
        assertThatThrownBy(() -> sm.createFeatureGroup(r -> r.featureGroupName("no-store")
                        .recordIdentifierFeatureName("id")
                        .eventTimeFeatureName("t")
                        .featureDefinitions(feature("id", FeatureType.STRING), feature("t", FeatureType.STRING))))
                .isInstanceOf(SageMakerException.class)
                .hasMessageContaining("at least one of OnlineStoreConfig");
        assertThatThrownBy(() -> sm.createFeatureGroup(r -> r.featureGroupName("int-time")
                        .recordIdentifierFeatureName("id")
                        .eventTimeFeatureName("t")
                        .featureDefinitions(feature("id", FeatureType.STRING), feature("t", FeatureType.INTEGRAL))
                        .onlineStoreConfig(o -> o.enableOnlineStore(true))))
                .isInstanceOf(SageMakerException.class)
                .hasMessageContaining("event time feature t must be a single String");
    }

    @Test
    void aRecordRoundTripsWithListsAndTheFeatureNamesFilter() {
        put("customers", customer("c-1", "2026-01-01T10:00:00Z", "Lisbon"));

        Map<String, String> record = asMap(get("customers", "c-1").record());
        assertThat(record)
                .containsEntry("city", "Lisbon")
                .containsEntry("age", "41")
                .containsEntry("tags", "[gold, early]");
        assertThat(asMap(get("customers", "c-1", "city", "age").record())).containsOnlyKeys("city", "age");
        assertThat(get("customers", "nobody").record()).isEmpty();
        assertThatThrownBy(() -> get("nowhere", "c-1"))
                .isInstanceOf(
                        software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.ResourceNotFoundException
                                .class);
        assertThatThrownBy(() -> put("nowhere", customer("c-1", "2026-01-01T10:00:00Z", "x")))
                .isInstanceOf(ValidationErrorException.class)
                .hasMessageContaining(
                        "Resource Not Found: Amazon SageMaker can't find a FeatureGroup with name nowhere");
    }

    @Test
    void eventTimeDecidesWhichWriteWins() {
        put("customers", customer("c-2", "2026-02-01T10:00:00Z", "Porto"));
        // Older: answered 200, the online record stays as it was.
        put("customers", customer("c-2", "2026-01-01T10:00:00Z", "Faro"));
        assertThat(asMap(get("customers", "c-2").record())).containsEntry("city", "Porto");
        // Equal: overwrites.
        put("customers", customer("c-2", "2026-02-01T10:00:00Z", "Braga"));
        assertThat(asMap(get("customers", "c-2").record())).containsEntry("city", "Braga");
        // Newer: a full overwrite — features left out are gone.
        put("customers", List.of(value("customer_id", "c-2"), value("event_time", "2026-03-01T10:00:00.250Z")));
        assertThat(asMap(get("customers", "c-2").record())).containsOnlyKeys("customer_id", "event_time");
    }

    @Test
    void badValuesAreRefusedNamingTheFeature() {
        List<FeatureValue> badAge = new ArrayList<>(customer("c-3", "2026-01-01T10:00:00Z", "x"));
        badAge.set(2, value("age", "forty"));
        assertThatThrownBy(() -> put("customers", badAge))
                .isInstanceOf(ValidationErrorException.class)
                .hasMessageContaining("'forty' of feature age is not Integral");
        assertThatThrownBy(
                        () -> put("customers", List.of(value("customer_id", "c-3"), value("event_time", "yesterday"))))
                .isInstanceOf(ValidationErrorException.class)
                .hasMessageContaining("event time 'yesterday'");
        assertThatThrownBy(() -> put(
                        "customers",
                        List.of(
                                value("customer_id", "c-3"),
                                value("event_time", "2026-01-01T10:00:00Z"),
                                value("shoe", "9"))))
                .isInstanceOf(ValidationErrorException.class)
                .hasMessageContaining("Feature shoe is not a feature of feature group customers");
        assertThatThrownBy(() -> put("customers", List.of(value("event_time", "2026-01-01T10:00:00Z"))))
                .isInstanceOf(ValidationErrorException.class)
                .hasMessageContaining("lacks its record identifier");
        assertThatThrownBy(() -> put(
                        "customers",
                        List.of(
                                value("customer_id", "c-3"),
                                value("event_time", "2026-01-01T10:00:00Z"),
                                value("tags", "one"))))
                .isInstanceOf(ValidationErrorException.class)
                .hasMessageContaining("tags is a List");
    }

    @Test
    void aRecordTtlHidesItOnceExpiredAndExpiresAtIsShownBefore() {
        records.putRecord(PutRecordRequest.builder()
                .featureGroupName("customers")
                .record(customer("c-4", "2026-01-01T10:00:00Z", "Evora"))
                .ttlDuration(software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.TtlDuration.builder()
                        .unit("Hours")
                        .value(1)
                        .build())
                .build());
        // The event time was long ago: with a one-hour TTL the record expired at once.
        assertThat(get("customers", "c-4").record()).isEmpty();

        String now = Instant.now(clock)
                .truncatedTo(java.time.temporal.ChronoUnit.MILLIS)
                .toString();
        records.putRecord(PutRecordRequest.builder()
                .featureGroupName("customers")
                .record(customer("c-5", now, "Evora"))
                .ttlDuration(software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.TtlDuration.builder()
                        .unit("Hours")
                        .value(1)
                        .build())
                .build());
        GetRecordResponse fresh = records.getRecord(GetRecordRequest.builder()
                .featureGroupName("customers")
                .recordIdentifierValueAsString("c-5")
                .expirationTimeResponse(ExpirationTimeResponse.ENABLED)
                .build());
        assertThat(fresh.record()).isNotEmpty();
        assertThat(Instant.parse(fresh.expiresAt()))
                .isEqualTo(Instant.parse(now).plus(Duration.ofHours(1)));

        clock.advance(Duration.ofHours(2));
        try {
            assertThat(get("customers", "c-5").record()).isEmpty();
            assertThat(tandem.server().featureStore().removeExpired()).isGreaterThanOrEqualTo(1);
        } finally {
            clock.advance(Duration.ofHours(-2));
        }
    }

    @Test
    void softAndHardDeletesFollowTheEventTimeRule() {
        put("customers", customer("c-6", "2026-02-01T10:00:00Z", "Tomar"));
        // A hard delete older than the record is refused.
        assertThatThrownBy(() -> delete("c-6", "2026-01-01T00:00:00Z", DeletionMode.HARD_DELETE))
                .isInstanceOf(ValidationErrorException.class)
                .hasMessageContaining("must be later than the record's event time");
        // A soft delete older than the record leaves it.
        delete("c-6", "2026-01-01T00:00:00Z", DeletionMode.SOFT_DELETE);
        assertThat(get("customers", "c-6").record()).isNotEmpty();
        // A newer soft delete hides it; ListRecords shows it only when asked.
        delete("c-6", "2026-03-01T00:00:00Z", DeletionMode.SOFT_DELETE);
        assertThat(get("customers", "c-6").record()).isEmpty();
        assertThat(listRecords("customers", false)).doesNotContain("c-6");
        assertThat(listRecords("customers", true)).contains("c-6");
        // A put older than the soft delete stays hidden; a newer one brings the record back.
        put("customers", customer("c-6", "2026-02-15T00:00:00Z", "Tomar"));
        assertThat(get("customers", "c-6").record()).isEmpty();
        put("customers", customer("c-6", "2026-04-01T00:00:00Z", "Tomar"));
        assertThat(get("customers", "c-6").record()).isNotEmpty();
        // A newer hard delete removes it altogether.
        delete("c-6", "2026-05-01T00:00:00Z", DeletionMode.HARD_DELETE);
        assertThat(listRecords("customers", true)).doesNotContain("c-6");
    }

    private void delete(String id, String eventTime, DeletionMode mode) {
        records.deleteRecord(DeleteRecordRequest.builder()
                .featureGroupName("customers")
                .recordIdentifierValueAsString(id)
                .eventTime(eventTime)
                .deletionMode(mode)
                .build());
    }

    @Test
    void batchGetAnswersPartiallyAndRefusesMoreThanAHundredIdentifiers() {
        put("customers", customer("c-7", "2026-01-01T10:00:00Z", "Beja"));
        BatchGetRecordResponse answer = records.batchGetRecord(BatchGetRecordRequest.builder()
                .identifiers(
                        BatchGetRecordIdentifier.builder()
                                .featureGroupName("customers")
                                .recordIdentifiersValueAsString("c-7", "missing")
                                .featureNames("city")
                                .build(),
                        BatchGetRecordIdentifier.builder()
                                .featureGroupName("no-such-group")
                                .recordIdentifiersValueAsString("c-7")
                                .build())
                .build());
        assertThat(answer.records()).hasSize(1);
        assertThat(asMap(answer.records().get(0).record())).containsOnly(Map.entry("city", "Beja"));
        assertThat(answer.errors()).hasSize(1);
        assertThat(answer.errors().get(0).featureGroupName()).isEqualTo("no-such-group");
        assertThat(answer.errors().get(0).errorCode()).isEqualTo("ResourceNotFound");
        assertThat(answer.unprocessedIdentifiers()).isEmpty();

        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 101; i++) {
            ids.add("id-" + i);
        }
        assertThatThrownBy(() -> records.batchGetRecord(BatchGetRecordRequest.builder()
                        .identifiers(BatchGetRecordIdentifier.builder()
                                .featureGroupName("customers")
                                .recordIdentifiersValueAsString(ids)
                                .build())
                        .build()))
                .isInstanceOf(ValidationErrorException.class)
                .hasMessageContaining("from 1 to 100");
    }

    @Test
    void batchWriteReportsEachFailedEntryAndWritesTheRest() throws Exception {
        String body =
                """
                {"Entries": [
                  {"FeatureGroupName": "customers", "Record": [
                    {"FeatureName": "customer_id", "ValueAsString": "c-8"},
                    {"FeatureName": "event_time", "ValueAsString": "2026-01-01T10:00:00Z"},
                    {"FeatureName": "city", "ValueAsString": "Sines"}]},
                  {"FeatureGroupName": "customers", "Record": [
                    {"FeatureName": "customer_id", "ValueAsString": "c-9"},
                    {"FeatureName": "event_time", "ValueAsString": "2026-01-01T10:00:00Z"},
                    {"FeatureName": "age", "ValueAsString": "old"}]},
                  {"FeatureGroupName": "no-such-group", "Record": []}
                ]}
                """;
        HttpResponse<String> answer = post("/BatchWriteRecord", body);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        JsonNode result = JSON.readTree(answer.body());
        assertThat(result.path("Errors")).hasSize(2);
        assertThat(result.path("Errors").get(0).path("ErrorCode").asText()).isEqualTo("ValidationError");
        assertThat(result.path("Errors")
                        .get(0)
                        .path("Entry")
                        .path("Record")
                        .get(0)
                        .path("ValueAsString")
                        .asText())
                .isEqualTo("c-9");
        assertThat(result.path("Errors").get(1).path("ErrorCode").asText()).isEqualTo("ResourceNotFound");
        assertThat(result.path("UnprocessedEntries")).isEmpty();
        assertThat(asMap(get("customers", "c-8").record())).containsEntry("city", "Sines");
        assertThat(get("customers", "c-9").record()).isEmpty();

        // Entries are written in order: of two with one event time, the later one wins.
        HttpResponse<String> twice = post(
                "/BatchWriteRecord",
                """
                {"Entries": [
                  {"FeatureGroupName": "customers", "Record": [
                    {"FeatureName": "customer_id", "ValueAsString": "c-10"},
                    {"FeatureName": "event_time", "ValueAsString": "2026-01-01T10:00:00Z"},
                    {"FeatureName": "city", "ValueAsString": "Sines"}]},
                  {"FeatureGroupName": "customers", "Record": [
                    {"FeatureName": "customer_id", "ValueAsString": "c-10"},
                    {"FeatureName": "event_time", "ValueAsString": "2026-01-01T10:00:00Z"},
                    {"FeatureName": "city", "ValueAsString": "Tavira"}]}
                ]}
                """);
        assertThat(JSON.readTree(twice.body()).path("Errors")).isEmpty();
        assertThat(asMap(get("customers", "c-10").record())).containsEntry("city", "Tavira");

        HttpResponse<String> tooMany = post("/BatchWriteRecord", "{\"Entries\": []}");
        assertThat(tooMany.statusCode()).isEqualTo(400);
        assertThat(tooMany.headers().firstValue("x-amzn-ErrorType")).hasValue("ValidationError");
    }

    @Test
    void listRecordsPagesThroughTheOnlineStore() throws Exception {
        createCustomers("paged", false);
        for (int i = 0; i < 5; i++) {
            put("paged", customer("p-" + i, "2026-01-01T10:00:00Z", "x"));
        }
        List<String> seen = new ArrayList<>();
        String token = null;
        do {
            String body =
                    token == null ? "{\"MaxResults\": 2}" : "{\"MaxResults\": 2, \"NextToken\": \"" + token + "\"}";
            JsonNode page =
                    JSON.readTree(post("/FeatureGroup/paged/ListRecords", body).body());
            page.path("RecordIdentifiers").forEach(id -> seen.add(id.asText()));
            token = page.hasNonNull("NextToken") ? page.get("NextToken").asText() : null;
        } while (token != null);
        assertThat(seen).containsExactly("p-0", "p-1", "p-2", "p-3", "p-4");

        HttpResponse<String> missing = post("/FeatureGroup/nowhere/ListRecords", "{}");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.headers().firstValue("x-amzn-ErrorType")).hasValue("ResourceNotFound");
    }

    @Test
    void updatesAddFeaturesChangeTheTtlAndKeepFeatureMetadata() {
        createCustomers("updated", true);
        sm.updateFeatureGroup(r -> r.featureGroupName("updated")
                .featureAdditions(feature("segment", FeatureType.STRING))
                .onlineStoreConfig(OnlineStoreConfigUpdate.builder()
                        .ttlDuration(TtlDuration.builder()
                                .unit(TtlDurationUnit.HOURS)
                                .value(6)
                                .build())
                        .build()));
        DescribeFeatureGroupResponse described = sm.describeFeatureGroup(r -> r.featureGroupName("updated"));
        assertThat(described.featureDefinitions())
                .extracting(FeatureDefinition::featureName)
                .contains("segment");
        assertThat(described.onlineStoreConfig().ttlDuration().unit()).isEqualTo(TtlDurationUnit.HOURS);
        assertThat(described.lastUpdateStatus().statusAsString()).isEqualTo("Successful");
        // The group's TTL is now six hours from the event time.
        String now = Instant.now(clock)
                .truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                .toString();
        put("updated", List.of(value("customer_id", "u-1"), value("event_time", now), value("segment", "b2b")));
        assertThat(asMap(get("updated", "u-1").record())).containsEntry("segment", "b2b");

        sm.updateFeatureMetadata(r -> r.featureGroupName("updated")
                .featureName("segment")
                .description("where the customer sells")
                .parameterAdditions(
                        FeatureParameter.builder().key("owner").value("sales").build()));
        var metadata =
                sm.describeFeatureMetadata(r -> r.featureGroupName("updated").featureName("segment"));
        assertThat(metadata.description()).isEqualTo("where the customer sells");
        assertThat(metadata.featureTypeAsString()).isEqualTo("String");
        assertThat(metadata.parameters()).extracting(FeatureParameter::value).containsExactly("sales");
        assertThatThrownBy(() -> sm.updateFeatureGroup(
                        r -> r.featureGroupName("updated").featureAdditions(feature("segment", FeatureType.STRING))))
                .isInstanceOf(SageMakerException.class)
                .hasMessageContaining("Feature segment already exists");
    }

    @Test
    void anOfflineStoreIsResolvedToSageMakersLayout() {
        sm.createFeatureGroup(r -> r.featureGroupName("with-offline")
                .recordIdentifierFeatureName("id")
                .eventTimeFeatureName("t")
                .featureDefinitions(feature("id", FeatureType.INTEGRAL), feature("t", FeatureType.FRACTIONAL))
                .onlineStoreConfig(o -> o.enableOnlineStore(true))
                .offlineStoreConfig(OfflineStoreConfig.builder()
                        .s3StorageConfig(S3StorageConfig.builder()
                                .s3Uri("s3://bucket/features")
                                .build())
                        .build()));
        DescribeFeatureGroupResponse described = sm.describeFeatureGroup(r -> r.featureGroupName("with-offline"));
        assertThat(described.offlineStoreConfig().s3StorageConfig().resolvedOutputS3Uri())
                .matches("s3://bucket/features/000000000000/sagemaker/us-east-1/offline-store/with-offline-\\d+/data");
        assertThat(described.offlineStoreConfig().dataCatalogConfig().database())
                .isEqualTo("sagemaker_featurestore");
        assertThat(described.offlineStoreStatus().statusAsString()).isEqualTo("Active");

        // An Integral identifier names one record however it is written; a Fractional event time is
        // epoch seconds. (Online only: this server has no S3 store; OfflineStoreIT writes to one.)
        records.putRecord(r -> r.featureGroupName("with-offline")
                .record(value("id", "7"), value("t", "1767261600.5"))
                .targetStores(
                        software.amazon.awssdk.services.sagemakerfeaturestoreruntime.model.TargetStore.ONLINE_STORE));
        assertThat(asMap(get("with-offline", "7.0").record())).containsEntry("t", "1767261600.5");

        // In a batch, an identifier that is not Integral fails alone; the others are found as asked.
        BatchGetRecordResponse batch = records.batchGetRecord(BatchGetRecordRequest.builder()
                .identifiers(BatchGetRecordIdentifier.builder()
                        .featureGroupName("with-offline")
                        .recordIdentifiersValueAsString("7", "seven", "7.0")
                        .build())
                .build());
        assertThat(batch.records())
                .extracting(r -> r.recordIdentifierValueAsString())
                .containsExactly("7", "7.0");
        assertThat(batch.errors()).singleElement().satisfies(error -> {
            assertThat(error.recordIdentifierValueAsString()).isEqualTo("seven");
            assertThat(error.errorCode()).isEqualTo("ValidationError");
            assertThat(error.errorMessage()).contains("'seven'").contains("is not Integral");
        });
    }

    @Test
    void groupsAndRecordsSurviveARestartAndADeleteRemovesThem() {
        createCustomers("durable", false);
        put("durable", customer("d-1", "2026-01-01T10:00:00Z", "Viseu"));
        tandem.close();
        tandem = startServer();
        sm = tandem.sageMaker();
        records = runtimeClient(tandem);

        assertThat(sm.describeFeatureGroup(r -> r.featureGroupName("durable")).featureGroupStatus())
                .isEqualTo(FeatureGroupStatus.CREATED);
        assertThat(asMap(get("durable", "d-1").record())).containsEntry("city", "Viseu");

        sm.deleteFeatureGroup(r -> r.featureGroupName("durable"));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                sm.describeFeatureGroup(r -> r.featureGroupName("durable"));
                TandemFixture.sleep(Duration.ofMillis(20));
            } catch (ResourceNotFoundException gone) {
                break;
            }
        }
        assertThatThrownBy(() -> sm.describeFeatureGroup(r -> r.featureGroupName("durable")))
                .isInstanceOf(ResourceNotFoundException.class);
        // A group of the same name starts empty.
        createCustomers("durable", false);
        assertThat(get("durable", "d-1").record()).isEmpty();
    }

    @Test
    void theCommandLineIngestsACsvFileAndReadsARecordBack() throws Exception {
        createCustomers("from-csv", false);
        Path csv = workDir.resolve("customers.csv");
        StringBuilder rows = new StringBuilder("customer_id,event_time,age,city\n");
        for (int i = 0; i < 60; i++) {
            rows.append("k-")
                    .append(i)
                    .append(",2026-01-01T10:00:00Z,")
                    .append(20 + i)
                    .append(",\"Lisbon, PT\"\n");
        }
        rows.append("k-empty,2026-01-01T10:00:00Z,,Porto\n");
        rows.append("k-bad,2026-01-01T10:00:00Z,old,Porto\n");
        java.nio.file.Files.writeString(csv, rows);
        String url = tandem.baseUrl().toString();

        dev.tandem.it.support.CliProcess ingest = dev.tandem.it.support.CliProcess.run(
                List.of("features", "ingest", "from-csv", "--file", csv.toString(), "--url", url));
        assertThat(ingest.awaitExit(Duration.ofSeconds(5))).as(ingest.stderr()).isEqualTo(1);
        assertThat(ingest.stdout())
                .contains("61 rows written to from-csv")
                .contains("rows/s")
                .contains("1 failed")
                .contains("ValidationError: The value 'old' of feature age is not Integral");

        dev.tandem.it.support.CliProcess get =
                dev.tandem.it.support.CliProcess.run(List.of("features", "get", "from-csv", "k-7", "--url", url));
        assertThat(get.awaitExit(Duration.ofSeconds(5))).as(get.stderr()).isZero();
        assertThat(get.stdout()).contains("age = 27").contains("city = Lisbon, PT");
        // An empty cell is a feature left out.
        assertThat(asMap(get("from-csv", "k-empty").record()))
                .doesNotContainKey("age")
                .containsEntry("city", "Porto");

        dev.tandem.it.support.CliProcess missing =
                dev.tandem.it.support.CliProcess.run(List.of("features", "get", "no-such-group", "k-7", "--url", url));
        assertThat(missing.awaitExit(Duration.ofSeconds(5))).isEqualTo(1);
        assertThat(missing.stderr()).contains("ResourceNotFound: Resource Not Found: FeatureGroup no-such-group");
    }

    private List<String> listRecords(String group, boolean includeSoftDeleted) {
        try {
            JsonNode page = JSON.readTree(post(
                            "/FeatureGroup/" + group + "/ListRecords",
                            "{\"MaxResults\": 100, \"IncludeSoftDeletedRecords\": " + includeSoftDeleted + "}")
                    .body());
            List<String> ids = new ArrayList<>();
            page.path("RecordIdentifiers").forEach(id -> ids.add(id.asText()));
            return ids;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private HttpResponse<String> post(String path, String body) {
        try (HttpClient client = HttpClient.newHttpClient()) {
            return client.send(
                    HttpRequest.newBuilder(URI.create(tandem.baseUrl() + path))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
