package dev.tandem.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.server.http.Call.Kind;
import io.vertx.core.http.HttpMethod;
import org.junit.jupiter.api.Test;

/** Which operation each method and path names, and which they do not. */
class CallTest {

    @Test
    void sageMakersPathsNameTheirOperationsAndTheNamesInThem() {
        assertThat(Call.of(HttpMethod.POST, "/endpoints/iris/invocations", false))
                .isEqualTo(new Call(Kind.INVOKE, "iris", ""));
        assertThat(Call.of(HttpMethod.POST, "/endpoints/iris/invocations-response-stream", false))
                .isEqualTo(new Call(Kind.INVOKE_STREAM, "iris", ""));
        assertThat(Call.of(HttpMethod.GET, "/endpoints/iris/invocations-response-stream", false))
                .isNull();
        assertThat(Call.of(HttpMethod.GET, "/endpoints/iris/overview", false))
                .isEqualTo(new Call(Kind.ENDPOINT_OVERVIEW, "iris", ""));
        assertThat(Call.of(HttpMethod.GET, "/console", false)).isEqualTo(new Call(Kind.CONSOLE, "", ""));
        assertThat(Call.of(HttpMethod.GET, "/console/console.js", false)).isEqualTo(new Call(Kind.CONSOLE, "", ""));
        assertThat(Call.of(HttpMethod.POST, "/console/", false)).isNull();
        assertThat(Call.of(HttpMethod.POST, "/endpoints/iris/async-invocations", false))
                .isEqualTo(new Call(Kind.INVOKE_ASYNC, "iris", ""));
        assertThat(Call.of(HttpMethod.POST, "/", true)).isEqualTo(new Call(Kind.CONTROL_PLANE, "", ""));
    }

    @Test
    void tandemsOwnPathsToo() {
        assertThat(Call.of(HttpMethod.GET, "/endpoints/iris/async-invocations/a%2Fb+c", false))
                .as("%XX decoded, '+' kept")
                .isEqualTo(new Call(Kind.ASYNC_STATUS, "iris", "a/b+c"));
        assertThat(Call.of(HttpMethod.GET, "/endpoints/iris/logs", false)).isEqualTo(new Call(Kind.LOGS, "iris", ""));
        assertThat(Call.of(HttpMethod.GET, "/transform-jobs/job-1/progress", false))
                .isEqualTo(new Call(Kind.TRANSFORM_PROGRESS, "job-1", ""));
        assertThat(Call.of(HttpMethod.GET, "/metrics", false)).isEqualTo(new Call(Kind.METRICS, "", ""));
        assertThat(Call.of(HttpMethod.HEAD, "/ping", false)).isEqualTo(new Call(Kind.PING, "", ""));
        assertThat(Call.of(HttpMethod.GET, "/ping", false)).isEqualTo(new Call(Kind.PING, "", ""));
        assertThat(Call.of(HttpMethod.POST, "/invocations", false))
                .as("the container contract, which an instance server speaks")
                .isEqualTo(new Call(Kind.CONTAINER_INVOKE, "", ""));
        assertThat(Call.of(HttpMethod.GET, "/invocations", false)).isNull();
    }

    @Test
    void theFeatureStoreRuntimesPathsNameItsOperationsAndTheGroupByNameOrEncodedArn() {
        for (HttpMethod method : new HttpMethod[] {HttpMethod.PUT, HttpMethod.GET, HttpMethod.DELETE}) {
            assertThat(Call.of(method, "/FeatureGroup/customers", false))
                    .isEqualTo(new Call(Kind.FEATURE_RECORD, "customers", ""));
        }
        assertThat(Call.of(
                        HttpMethod.GET,
                        "/FeatureGroup/arn%3Aaws%3Asagemaker%3Aus-east-1%3A000000000000%3Afeature-group%2Fcustomers",
                        false))
                .isEqualTo(new Call(
                        Kind.FEATURE_RECORD, "arn:aws:sagemaker:us-east-1:000000000000:feature-group/customers", ""));
        assertThat(Call.of(HttpMethod.POST, "/FeatureGroup/customers/ListRecords", false))
                .isEqualTo(new Call(Kind.FEATURE_LIST_RECORDS, "customers", ""));
        assertThat(Call.of(HttpMethod.POST, "/BatchGetRecord", false))
                .isEqualTo(new Call(Kind.FEATURE_BATCH_GET, "", ""));
        assertThat(Call.of(HttpMethod.POST, "/BatchWriteRecord", false))
                .isEqualTo(new Call(Kind.FEATURE_BATCH_WRITE, "", ""));

        assertThat(Call.of(HttpMethod.POST, "/FeatureGroup/customers", false)).isNull();
        assertThat(Call.of(HttpMethod.GET, "/FeatureGroup/customers/ListRecords", false))
                .isNull();
        assertThat(Call.of(HttpMethod.GET, "/FeatureGroup/", false)).isNull();
        assertThat(Call.of(HttpMethod.GET, "/FeatureGroup/a/b", false)).isNull();
        assertThat(Call.of(HttpMethod.GET, "/BatchGetRecord", false)).isNull();
    }

    @Test
    void aWrongMethodAnEmptyOrNestedNameOrAnUnknownPathNamesNothing() {
        assertThat(Call.of(HttpMethod.GET, "/endpoints/iris/invocations", false))
                .isNull();
        assertThat(Call.of(HttpMethod.POST, "/endpoints//invocations", false)).isNull();
        assertThat(Call.of(HttpMethod.POST, "/endpoints/invocations", false)).isNull();
        assertThat(Call.of(HttpMethod.POST, "/endpoints/a/b/invocations", false))
                .isNull();
        assertThat(Call.of(HttpMethod.GET, "/endpoints/iris/async-invocations/", false))
                .isNull();
        assertThat(Call.of(HttpMethod.GET, "/endpoints/iris/async-invocations/x/y", false))
                .isNull();
        assertThat(Call.of(HttpMethod.POST, "/endpoints/iris/async-invocations/x", false))
                .isNull();
        assertThat(Call.of(HttpMethod.GET, "/transform-jobs//progress", false)).isNull();
        assertThat(Call.of(HttpMethod.POST, "/", false)).as("no X-Amz-Target").isNull();
        assertThat(Call.of(HttpMethod.POST, "/metrics", false)).isNull();
        assertThat(Call.of(HttpMethod.DELETE, "/ping", false)).isNull();
        assertThat(Call.of(HttpMethod.GET, "/endpoints", false)).isNull();
        assertThat(Call.of(HttpMethod.GET, "/nope", false)).isNull();
    }
}
