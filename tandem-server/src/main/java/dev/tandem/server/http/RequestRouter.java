package dev.tandem.server.http;

import dev.tandem.core.error.ErrorKind;
import dev.tandem.core.error.TandemException;
import dev.tandem.core.stage.Payload;
import dev.tandem.server.api.AsyncInvocationsApi;
import dev.tandem.server.api.ErrorResponses;
import dev.tandem.server.api.FeatureStoreApi;
import dev.tandem.server.api.InvocationsApi;
import dev.tandem.server.api.LogsApi;
import dev.tandem.server.api.RequestIds;
import dev.tandem.server.api.RequestLoop;
import dev.tandem.server.api.TransformProgressApi;
import dev.tandem.server.auth.AuthenticationException;
import dev.tandem.server.auth.Authenticator;
import dev.tandem.server.console.ConsoleAssets;
import dev.tandem.server.console.EndpointOverviewApi;
import dev.tandem.server.control.ControlPlaneApi;
import dev.tandem.server.metrics.InvocationMetrics;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where every HTTP request enters Tandem: finds the operation its method and path name, reads its
 * body up to the operation's limit, applies the one authentication rule — every operation needs a
 * valid signature when access keys are configured, except {@code /ping} (load balancers' health
 * checks carry none) and, when the operator opens it, {@code /metrics} — and hands the request to
 * the API that serves it. The paths are SageMaker's, few and fixed ({@link Call} names them), so a
 * plain dispatch reads better than a routing framework.
 */
public final class RequestRouter implements Handler<HttpServerRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(RequestRouter.class);

    private final InvocationsApi invocations;
    private final AsyncInvocationsApi asyncInvocations;
    private final ControlPlaneApi controlPlane;
    private final ErrorResponses errors;
    private final InvocationMetrics metrics;
    private final LogsApi logs;
    private final EndpointOverviewApi overview;
    private final ConsoleAssets console;
    private final TransformProgressApi transformProgress;
    private final FeatureStoreApi featureStore;
    private final Authenticator authenticator;
    private final boolean openMetrics;
    private final @Nullable String instanceOf;
    private final BooleanSupplier instanceReady;

    /** Answers an operation's request once its body is read and it is authenticated. */
    @FunctionalInterface
    private interface Operation {
        void serve(HttpServerRequest request, Payload body);
    }

    /** Writes an error in the shape of the operation's protocol. */
    @FunctionalInterface
    public interface ErrorWriter {
        void write(HttpServerResponse response, String requestId, Throwable error);
    }

    /**
     * One operation as the router runs it.
     *
     * @param bodyLimit the most body it reads; more is refused before it is read
     * @param open whether it is served without authentication
     */
    private record Route(long bodyLimit, boolean open, ErrorWriter errors, Operation operation) {}

    /**
     * @param authenticator checks every request but those of open routes
     * @param openMetrics whether {@code GET /metrics} is served without authentication
     * @param instanceOf the endpoint this server is one instance of, serving only the container
     *     contract for it ({@code /ping}, {@code /invocations}) and its metrics; null for a whole
     *     server
     * @param instanceReady whether that endpoint is in service, for {@code /ping}
     */
    public RequestRouter(
            InvocationsApi invocations,
            AsyncInvocationsApi asyncInvocations,
            ControlPlaneApi controlPlane,
            LogsApi logs,
            EndpointOverviewApi overview,
            ConsoleAssets console,
            TransformProgressApi transformProgress,
            FeatureStoreApi featureStore,
            ErrorResponses errors,
            InvocationMetrics metrics,
            Authenticator authenticator,
            boolean openMetrics,
            @Nullable String instanceOf,
            BooleanSupplier instanceReady) {
        this.logs = logs;
        this.overview = overview;
        this.console = console;
        this.transformProgress = transformProgress;
        this.featureStore = featureStore;
        this.invocations = invocations;
        this.asyncInvocations = asyncInvocations;
        this.controlPlane = controlPlane;
        this.errors = errors;
        this.metrics = metrics;
        this.authenticator = authenticator;
        this.openMetrics = openMetrics;
        this.instanceOf = instanceOf;
        this.instanceReady = instanceReady;
    }

    @Override
    public void handle(HttpServerRequest request) {
        Route route = route(request);
        if (route == null) {
            errors.write(
                    request.response(),
                    RequestIds.next(),
                    new TandemException(
                            ErrorKind.UNKNOWN_OPERATION,
                            "No operation at " + request.method() + " " + request.path() + ". "
                                    + (instanceOf == null
                                            ? "InvokeEndpoint is POST /endpoints/{EndpointName}/invocations."
                                            : "This server is an instance of endpoint " + instanceOf
                                                    + ": POST /invocations, GET /ping.")),
                    null);
            return;
        }
        BodyReader.read(request, route.bodyLimit()).onComplete(read -> {
            if (read.failed()) {
                if (read.cause() instanceof IOException || request.response().closed()) {
                    // Its connection failed before it had sent its body (a reset, most often): nobody
                    // to answer, and no fault of the server's.
                    LOG.debug(
                            "a client's connection failed while it sent its body: {}",
                            read.cause().toString());
                    return;
                }
                route.errors().write(request.response(), RequestIds.next(), read.cause());
                return;
            }
            // The body as it was read, in the pieces it came in: it travels on as the payload, and
            // an operation that wants one array has it joined.
            Payload body = read.result();
            if (!route.open()) {
                try {
                    authenticator.authenticate(request, body);
                } catch (AuthenticationException denied) {
                    route.errors().write(request.response(), RequestIds.next(), denied);
                    return;
                }
            }
            route.operation().serve(request, body);
        });
    }

    /** The operation {@code request} names, as the router runs it; null when it names none. */
    private @Nullable Route route(HttpServerRequest request) {
        Call call = Call.of(request.method(), request.path(), ControlPlaneApi.accepts(request));
        if (call == null) {
            return null;
        }
        ErrorWriter restJson = (response, requestId, error) -> errors.write(response, requestId, error, null);
        if (instanceOf != null) {
            return instanceRoute(call, instanceOf, restJson);
        }
        String name = call.name();
        return switch (call.kind()) {
            case CONTAINER_INVOKE -> null;
            case INVOKE ->
                new Route(
                        invocations.payloadLimit(name),
                        false,
                        restJson,
                        (req, body) -> invocations.invoke(req, name, body));
            case INVOKE_STREAM ->
                new Route(
                        invocations.payloadLimit(name),
                        false,
                        restJson,
                        (req, body) -> invocations.invokeStreaming(req, name, body));
            case INVOKE_ASYNC ->
                new Route(
                        AsyncInvocationsApi.MAX_BODY,
                        false,
                        asyncInvocations::writeError,
                        (req, body) -> asyncInvocations.invoke(req, name, body.unsafeArray()));
            // Reads the queue: off the event loop.
            case ASYNC_STATUS ->
                new Route(0, false, restJson, (req, body) -> Thread.ofVirtual()
                        .start(() -> asyncInvocations.status(req, name, call.id())));
            case CONTROL_PLANE ->
                new Route(
                        ControlPlaneApi.MAX_REQUEST_BYTES,
                        false,
                        controlPlane::writeError,
                        (req, body) -> controlPlane.handle(req, body.unsafeArray()));
            // Reads every container's kept lines: off the event loop.
            case LOGS ->
                new Route(0, false, restJson, (req, body) -> Thread.ofVirtual().start(() -> logs.handle(req, name)));
            // Reads the state store: off the event loop.
            // Reads the endpoint's instances and recent requests: off the event loop.
            case ENDPOINT_OVERVIEW ->
                new Route(
                        0, false, restJson, (req, body) -> Thread.ofVirtual().start(() -> overview.handle(req, name)));
            // The console's own files hold no data: served to anyone, as /ping is.
            case CONSOLE -> new Route(0, true, restJson, (req, body) -> console.handle(req));
            case TRANSFORM_PROGRESS ->
                new Route(0, false, restJson, (req, body) -> Thread.ofVirtual()
                        .start(() -> transformProgress.handle(req, name)));
            case METRICS -> metricsRoute(openMetrics, restJson);
            case FEATURE_RECORD ->
                new Route(
                        FeatureStoreApi.MAX_BODY,
                        false,
                        restJson,
                        (req, body) -> featureStore.record(req, name, body.unsafeArray()));
            case FEATURE_LIST_RECORDS ->
                new Route(
                        FeatureStoreApi.MAX_BODY,
                        false,
                        restJson,
                        (req, body) -> featureStore.listRecords(req, name, body.unsafeArray()));
            case FEATURE_BATCH_GET ->
                new Route(
                        FeatureStoreApi.MAX_BODY,
                        false,
                        restJson,
                        (req, body) -> featureStore.batchGet(req, body.unsafeArray()));
            case FEATURE_BATCH_WRITE ->
                new Route(
                        FeatureStoreApi.MAX_BODY,
                        false,
                        restJson,
                        (req, body) -> featureStore.batchWrite(req, body.unsafeArray()));
            case PING ->
                new Route(0, true, restJson, (req, body) -> req.response()
                        .setStatusCode(200)
                        .end());
        };
    }

    /**
     * What an instance server answers: SageMaker's container contract for its endpoint, open as a
     * model container's is (whoever reaches it is the gateway in front), and its metrics.
     */
    private @Nullable Route instanceRoute(Call call, String endpoint, ErrorWriter restJson) {
        return switch (call.kind()) {
            case CONTAINER_INVOKE ->
                new Route(
                        invocations.payloadLimit(endpoint),
                        true,
                        restJson,
                        (req, body) -> invocations.invoke(req, endpoint, body));
            case PING ->
                new Route(0, true, restJson, (req, body) -> req.response()
                        .setStatusCode(instanceReady.getAsBoolean() ? 200 : 503)
                        .end());
            case METRICS -> metricsRoute(true, restJson);
            default -> null;
        };
    }

    private Route metricsRoute(boolean open, ErrorWriter restJson) {
        return new Route(0, open, restJson, (req, body) -> {
            // Gauges read the endpoints and the state store: off the event loop.
            Thread.ofVirtual().start(() -> {
                String scraped = metrics.scrape();
                RequestLoop.answer(req, () -> req.response()
                        .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                        .end(scraped));
            });
        });
    }
}
