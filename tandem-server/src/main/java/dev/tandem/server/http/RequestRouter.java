package dev.tandem.server.http;

import dev.tandem.core.error.ErrorKind;
import dev.tandem.core.error.TandemException;
import dev.tandem.server.api.AsyncInvocationsApi;
import dev.tandem.server.api.ErrorResponses;
import dev.tandem.server.api.InvocationsApi;
import dev.tandem.server.api.LogsApi;
import dev.tandem.server.api.RequestIds;
import dev.tandem.server.api.TransformProgressApi;
import dev.tandem.server.control.ControlPlaneApi;
import dev.tandem.server.metrics.InvocationMetrics;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Where every HTTP request enters Tandem: dispatches by method and path to the API that serves
 * it. The paths are SageMaker's, few and fixed, so a plain dispatch reads better than
 * a routing framework.
 */
public final class RequestRouter implements Handler<HttpServerRequest> {
    private static final String ENDPOINTS = "/endpoints/";
    private static final String INVOCATIONS = "/invocations";
    private static final String ASYNC_INVOCATIONS = "/async-invocations";
    private static final String LOGS = "/logs";
    private static final String TRANSFORM_JOBS = "/transform-jobs/";
    private static final String PROGRESS = "/progress";

    private final InvocationsApi invocations;
    private final AsyncInvocationsApi asyncInvocations;
    private final ControlPlaneApi controlPlane;
    private final ErrorResponses errors;
    private final InvocationMetrics metrics;
    private final LogsApi logs;
    private final TransformProgressApi transformProgress;

    public RequestRouter(
            InvocationsApi invocations,
            AsyncInvocationsApi asyncInvocations,
            ControlPlaneApi controlPlane,
            LogsApi logs,
            TransformProgressApi transformProgress,
            ErrorResponses errors,
            InvocationMetrics metrics) {
        this.logs = logs;
        this.transformProgress = transformProgress;
        this.invocations = invocations;
        this.asyncInvocations = asyncInvocations;
        this.controlPlane = controlPlane;
        this.errors = errors;
        this.metrics = metrics;
    }

    @Override
    public void handle(HttpServerRequest request) {
        String path = request.path();
        HttpMethod method = request.method();
        if (path.startsWith(ENDPOINTS) && path.endsWith(INVOCATIONS) && method.equals(HttpMethod.POST)) {
            String name = path.substring(ENDPOINTS.length(), path.length() - INVOCATIONS.length());
            if (!name.isEmpty() && name.indexOf('/') < 0) {
                invocations.handle(request, name);
                return;
            }
        }
        if (path.startsWith(ENDPOINTS) && path.contains(ASYNC_INVOCATIONS)) {
            // {name}/async-invocations, or {name}/async-invocations/{InferenceId}
            String[] parts = path.substring(ENDPOINTS.length()).split("/", -1);
            boolean async = parts.length >= 2 && !parts[0].isEmpty() && ASYNC_INVOCATIONS.equals("/" + parts[1]);
            if (async && parts.length == 2 && method.equals(HttpMethod.POST)) {
                asyncInvocations.invoke(request, parts[0]);
                return;
            }
            if (async && parts.length == 3 && method.equals(HttpMethod.GET) && !parts[2].isEmpty()) {
                // A path keeps '+' as it is; only %XX sequences are decoded.
                String inferenceId = URLDecoder.decode(parts[2].replace("+", "%2B"), StandardCharsets.UTF_8);
                // Reads the queue: off the event loop.
                Thread.ofVirtual().start(() -> asyncInvocations.status(request, parts[0], inferenceId));
                return;
            }
        }
        if (path.equals("/") && method.equals(HttpMethod.POST) && ControlPlaneApi.accepts(request)) {
            controlPlane.handle(request);
            return;
        }
        if (path.startsWith(ENDPOINTS) && path.endsWith(LOGS) && method.equals(HttpMethod.GET)) {
            String name = path.substring(ENDPOINTS.length(), path.length() - LOGS.length());
            if (!name.isEmpty() && name.indexOf('/') < 0) {
                // Reads every container's kept lines: off the event loop.
                Thread.ofVirtual().start(() -> logs.handle(request, name));
                return;
            }
        }
        if (path.startsWith(TRANSFORM_JOBS) && path.endsWith(PROGRESS) && method.equals(HttpMethod.GET)) {
            String name = path.substring(TRANSFORM_JOBS.length(), path.length() - PROGRESS.length());
            if (!name.isEmpty() && name.indexOf('/') < 0) {
                // Reads the state store: off the event loop.
                Thread.ofVirtual().start(() -> transformProgress.handle(request, name));
                return;
            }
        }
        if (path.equals("/metrics") && method.equals(HttpMethod.GET)) {
            // Gauges read the endpoints and the state store: off the event loop.
            request.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            Thread.ofVirtual().start(() -> request.response().end(metrics.scrape()));
            return;
        }
        if (path.equals("/ping") && (method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD))) {
            request.response().setStatusCode(200).end();
            return;
        }
        errors.write(
                request.response(),
                RequestIds.next(),
                new TandemException(
                        ErrorKind.UNKNOWN_OPERATION,
                        "No operation at " + method + " " + path + ". InvokeEndpoint is POST " + ENDPOINTS
                                + "{EndpointName}" + INVOCATIONS + "."),
                null);
    }
}
