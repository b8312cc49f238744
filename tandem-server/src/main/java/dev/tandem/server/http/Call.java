package dev.tandem.server.http;

import io.vertx.core.http.HttpMethod;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * What a request's method and path name: one of the server's operations and the names its path
 * carries. Pure, so that every path the server answers is pinned down by a unit test.
 *
 * @param name the endpoint, transform job or feature group the path names; empty when it names none
 * @param id the asynchronous request's inference id; empty when it names none
 */
public record Call(Kind kind, String name, String id) {
    private static final String ENDPOINTS = "/endpoints/";
    private static final String INVOCATIONS = "/invocations";
    private static final String RESPONSE_STREAM = "/invocations-response-stream";
    private static final String ASYNC_INVOCATIONS = "async-invocations";
    private static final String LOGS = "/logs";
    private static final String OVERVIEW = "/overview";
    private static final String TRANSFORM_JOBS = "/transform-jobs/";
    private static final String PROGRESS = "/progress";
    private static final String FEATURE_GROUP = "/FeatureGroup/";
    private static final String LIST_RECORDS = "/ListRecords";

    /** The operations, by the path that names them. */
    public enum Kind {
        /** {@code POST /endpoints/{name}/invocations}: SageMaker's InvokeEndpoint. */
        INVOKE,
        /** {@code POST /endpoints/{name}/invocations-response-stream}: InvokeEndpointWithResponseStream. */
        INVOKE_STREAM,
        /** {@code POST /endpoints/{name}/async-invocations}: InvokeEndpointAsync. */
        INVOKE_ASYNC,
        /** {@code GET /endpoints/{name}/async-invocations/{id}}: an asynchronous request's status. */
        ASYNC_STATUS,
        /** {@code POST /} with {@code X-Amz-Target: SageMaker.*}: the control plane. */
        CONTROL_PLANE,
        /** {@code GET /endpoints/{name}/overview}: what the console shows of an endpoint. */
        ENDPOINT_OVERVIEW,
        /** {@code GET /console}, {@code /console/...}: the web console's files. */
        CONSOLE,
        /** {@code GET /endpoints/{name}/logs}: the containers' logs. */
        LOGS,
        /** {@code GET /transform-jobs/{name}/progress}: a transform job's progress. */
        TRANSFORM_PROGRESS,
        /** {@code GET /metrics}: Prometheus. */
        METRICS,
        /** {@code GET|HEAD /ping}: the server's health. */
        PING,
        /** {@code POST /invocations}: the container contract, served by an instance server. */
        CONTAINER_INVOKE,
        /** {@code PUT|GET|DELETE /FeatureGroup/{name}}: the feature store's PutRecord, GetRecord, DeleteRecord. */
        FEATURE_RECORD,
        /** {@code POST /FeatureGroup/{name}/ListRecords}. */
        FEATURE_LIST_RECORDS,
        /** {@code POST /BatchGetRecord}. */
        FEATURE_BATCH_GET,
        /** {@code POST /BatchWriteRecord}. */
        FEATURE_BATCH_WRITE
    }

    /**
     * The operation {@code method} and {@code path} name, or null when they name none.
     *
     * @param controlPlaneTarget whether the request names a control-plane operation in {@code
     *     X-Amz-Target}
     */
    public static @Nullable Call of(HttpMethod method, String path, boolean controlPlaneTarget) {
        boolean get = method.equals(HttpMethod.GET);
        boolean post = method.equals(HttpMethod.POST);
        if (path.equals("/")) {
            return post && controlPlaneTarget ? new Call(Kind.CONTROL_PLANE, "", "") : null;
        }
        if (path.equals("/metrics")) {
            return get ? new Call(Kind.METRICS, "", "") : null;
        }
        if (path.equals(INVOCATIONS)) {
            return post ? new Call(Kind.CONTAINER_INVOKE, "", "") : null;
        }
        if (path.equals("/console") || path.startsWith("/console/")) {
            return get ? new Call(Kind.CONSOLE, "", "") : null;
        }
        if (path.equals("/ping")) {
            return get || method.equals(HttpMethod.HEAD) ? new Call(Kind.PING, "", "") : null;
        }
        if (path.startsWith(TRANSFORM_JOBS) && path.endsWith(PROGRESS) && get) {
            String name = segment(path, TRANSFORM_JOBS.length(), path.length() - PROGRESS.length());
            return name == null ? null : new Call(Kind.TRANSFORM_PROGRESS, name, "");
        }
        if (path.equals("/BatchGetRecord")) {
            return post ? new Call(Kind.FEATURE_BATCH_GET, "", "") : null;
        }
        if (path.equals("/BatchWriteRecord")) {
            return post ? new Call(Kind.FEATURE_BATCH_WRITE, "", "") : null;
        }
        if (path.startsWith(FEATURE_GROUP)) {
            return featureGroup(method, path);
        }
        if (!path.startsWith(ENDPOINTS)) {
            return null;
        }
        if (path.endsWith(INVOCATIONS) && post) {
            String name = segment(path, ENDPOINTS.length(), path.length() - INVOCATIONS.length());
            return name == null ? null : new Call(Kind.INVOKE, name, "");
        }
        if (path.endsWith(RESPONSE_STREAM) && post) {
            String name = segment(path, ENDPOINTS.length(), path.length() - RESPONSE_STREAM.length());
            return name == null ? null : new Call(Kind.INVOKE_STREAM, name, "");
        }
        if (path.endsWith(OVERVIEW) && get) {
            String name = segment(path, ENDPOINTS.length(), path.length() - OVERVIEW.length());
            return name == null ? null : new Call(Kind.ENDPOINT_OVERVIEW, name, "");
        }
        if (path.endsWith(LOGS) && get) {
            String name = segment(path, ENDPOINTS.length(), path.length() - LOGS.length());
            return name == null ? null : new Call(Kind.LOGS, name, "");
        }
        // {name}/async-invocations, or {name}/async-invocations/{InferenceId}
        String[] parts = path.substring(ENDPOINTS.length()).split("/", -1);
        if (parts.length < 2 || parts[0].isEmpty() || !ASYNC_INVOCATIONS.equals(parts[1])) {
            return null;
        }
        if (parts.length == 2 && post) {
            return new Call(Kind.INVOKE_ASYNC, parts[0], "");
        }
        if (parts.length == 3 && get && !parts[2].isEmpty()) {
            // A path keeps '+' as it is; only %XX sequences are decoded.
            return new Call(Kind.ASYNC_STATUS, parts[0], decode(parts[2]));
        }
        return null;
    }

    /** A feature-store call on one group; the group may be named by its ARN, percent-encoded. */
    private static @Nullable Call featureGroup(HttpMethod method, String path) {
        if (path.endsWith(LIST_RECORDS)) {
            String name = segment(path, FEATURE_GROUP.length(), path.length() - LIST_RECORDS.length());
            return name == null || !method.equals(HttpMethod.POST)
                    ? null
                    : new Call(Kind.FEATURE_LIST_RECORDS, decode(name), "");
        }
        String name = segment(path, FEATURE_GROUP.length(), path.length());
        boolean recordMethod =
                method.equals(HttpMethod.PUT) || method.equals(HttpMethod.GET) || method.equals(HttpMethod.DELETE);
        return name == null || !recordMethod ? null : new Call(Kind.FEATURE_RECORD, decode(name), "");
    }

    /** A path segment decoded: only %XX sequences; a path keeps '+' as it is. */
    private static String decode(String segment) {
        return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** {@code path} between {@code from} and {@code to} when it is one non-empty segment; else null. */
    private static @Nullable String segment(String path, int from, int to) {
        if (to <= from) {
            return null;
        }
        String name = path.substring(from, to);
        return name.indexOf('/') < 0 ? name : null;
    }
}
