package dev.tandem.server.api;

import dev.tandem.core.engine.ContainerRefusedException;
import dev.tandem.core.engine.Failures;
import dev.tandem.core.engine.InvocationResult;
import dev.tandem.core.engine.PipelineEngine;
import dev.tandem.core.engine.PipelineStage;
import dev.tandem.core.engine.StageTiming;
import dev.tandem.core.engine.StreamedInvocation;
import dev.tandem.core.engine.StreamedResponse;
import dev.tandem.core.error.ModelErrorException;
import dev.tandem.core.error.ThrottlingException;
import dev.tandem.core.error.ValidationException;
import dev.tandem.core.model.ContainerDefinition;
import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.core.stage.StageResponse;
import dev.tandem.runtime.contract.BufferBytes;
import dev.tandem.server.capture.DataCapture;
import dev.tandem.server.console.ConsoleRecorder;
import dev.tandem.server.endpoint.Endpoint;
import dev.tandem.server.endpoint.EndpointRegistry;
import dev.tandem.server.endpoint.InstanceUnreachableException;
import dev.tandem.server.endpoint.RemoteInstance;
import dev.tandem.server.endpoint.Variant;
import dev.tandem.server.metrics.InvocationMetrics;
import dev.tandem.server.tracing.Tracing;
import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * SageMaker's InvokeEndpoint: {@code POST /endpoints/{EndpointName}/invocations}
 * ({@code api/sagemaker-runtime.json}). Starts the pipeline on the event loop that read the body, and answers — from whichever thread completes the last stage — with the last container's
 * body, content type and custom attributes, the variant that served, and per-container timing. No
 * thread waits on a container.
 */
public final class InvocationsApi {
    // Header names as Vert.x's optimized sequences (HttpHeaders.createOptimized): each is hashed
    // once, matched against a request's headers without hashing it again, and written out as bytes,
    // where a String name is hashed on every lookup and validated and encoded on every answer.
    public static final CharSequence CUSTOM_ATTRIBUTES =
            HttpHeaders.createOptimized("X-Amzn-SageMaker-Custom-Attributes");
    public static final CharSequence TARGET_CONTAINER =
            HttpHeaders.createOptimized("X-Amzn-SageMaker-Target-Container-Hostname");
    static final CharSequence TARGET_VARIANT = HttpHeaders.createOptimized("X-Amzn-SageMaker-Target-Variant");
    static final CharSequence TARGET_MODEL = HttpHeaders.createOptimized("X-Amzn-SageMaker-Target-Model");
    public static final CharSequence INFERENCE_ID = HttpHeaders.createOptimized("X-Amzn-SageMaker-Inference-Id");
    static final CharSequence INVOKED_VARIANT = HttpHeaders.createOptimized("X-Amzn-Invoked-Production-Variant");
    /** InvokeEndpointWithResponseStream's Accept, and its answer's content type. */
    static final CharSequence STREAM_ACCEPT = HttpHeaders.createOptimized("X-Amzn-SageMaker-Accept");

    static final CharSequence STREAM_CONTENT_TYPE = HttpHeaders.createOptimized("X-Amzn-SageMaker-Content-Type");
    static final CharSequence INFERENCE_COMPONENT = HttpHeaders.createOptimized("X-Amzn-SageMaker-Inference-Component");
    static final CharSequence SESSION_ID = HttpHeaders.createOptimized("X-Amzn-SageMaker-Session-Id");
    /** Opt-in: {@code X-Tandem-Debug: stages} asks for {@code X-Tandem-Stages} in the answer. */
    public static final CharSequence DEBUG = HttpHeaders.createOptimized("X-Tandem-Debug");

    public static final CharSequence STAGES = HttpHeaders.createOptimized("X-Tandem-Stages");
    static final CharSequence REQUEST_ID = HttpHeaders.createOptimized("x-amzn-RequestId");
    static final CharSequence SERVER_TIMING = HttpHeaders.createOptimized("Server-Timing");
    private static final CharSequence TRACEPARENT = HttpHeaders.createOptimized("traceparent");
    /** A W3C traceparent: version, trace id, parent id, flags. */
    private static final Pattern TRACEPARENT_FORMAT =
            Pattern.compile("[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");

    private static final int MAX_HEADER = 1024;
    /** SageMaker Serverless Inference's limit on request and response bodies: 4 MB. */
    static final int SERVERLESS_MAX_PAYLOAD = 4 * 1024 * 1024;

    private final EndpointRegistry endpoints;
    private final PipelineEngine engine;
    private final ErrorResponses errors;
    private final long maxPayloadBytes;
    private final String accountId;
    private final InvocationMetrics metrics;
    private final Tracing tracing;
    private final DataCapture capture;
    private final Predicate<String> isAsync;
    private final Duration streamSilenceLimit;
    private final ConsoleRecorder console;

    /**
     * @param isAsync whether an endpoint takes only asynchronous invocations
     * @param streamSilenceLimit how long a streamed answer may pause before it is ended with {@code
     *     ModelInvocationTimeExceeded} (the invocation timeout)
     * @param console records what the web console shows of each invocation
     */
    public InvocationsApi(
            EndpointRegistry endpoints,
            PipelineEngine engine,
            ErrorResponses errors,
            long maxPayloadBytes,
            String accountId,
            InvocationMetrics metrics,
            Tracing tracing,
            DataCapture capture,
            Predicate<String> isAsync,
            Duration streamSilenceLimit,
            ConsoleRecorder console) {
        this.streamSilenceLimit = streamSilenceLimit;
        this.console = console;
        this.endpoints = endpoints;
        this.engine = engine;
        this.errors = errors;
        this.maxPayloadBytes = maxPayloadBytes;
        this.accountId = accountId;
        this.metrics = metrics;
        this.tracing = tracing;
        this.capture = capture;
        this.isAsync = isAsync;
    }

    /** The server's limit, or SageMaker's 4 MB when the endpoint has a serverless variant. */
    public long payloadLimit(String endpointName) {
        boolean serverless =
                endpoints.find(endpointName).map(Endpoint::hasServerless).orElse(false);
        return serverless ? Math.min(maxPayloadBytes, SERVERLESS_MAX_PAYLOAD) : maxPayloadBytes;
    }

    /**
     * One invocation on its way: what the client asked, and which attempt this is.
     *
     * @param target the container a direct-mode request names, or null
     * @param targetVariant the variant the request names, or null to draw one by weight
     * @param attempt 1, or more when the request reached no instance before — a cluster's could not
     *     be reached, or the first container of one here refused the connection — and goes to another
     */
    private record Invocation(
            HttpServerRequest request,
            Endpoint endpoint,
            StageRequest input,
            @Nullable String target,
            @Nullable String targetVariant,
            String requestId,
            long start,
            int attempt,
            boolean streamed) {

        Invocation nextAttempt() {
            return new Invocation(
                    request, endpoint, input, target, targetVariant, requestId, start, attempt + 1, streamed);
        }
    }

    /**
     * How many instances a request is offered to when those before could not be reached: each one
     * found so is passed over by the next requests too, so the second rarely fails the same way.
     */
    private static final int MAX_INSTANCE_ATTEMPTS = 3;

    /**
     * InvokeEndpoint, its body read and the request authenticated ({@link
     * dev.tandem.server.http.RequestRouter}).
     */
    public void invoke(HttpServerRequest request, String endpointName, Payload body) {
        accept(request, endpointName, body, false);
    }

    /**
     * InvokeEndpointWithResponseStream ({@code POST /endpoints/{EndpointName}/invocations-response-stream}),
     * its body read and the request authenticated: the same invocation, its answer sent as an event
     * stream of the last container's parts as they arrive ({@link StreamedAnswer}).
     */
    public void invokeStreaming(HttpServerRequest request, String endpointName, Payload body) {
        accept(request, endpointName, body, true);
    }

    private void accept(HttpServerRequest request, String endpointName, Payload body, boolean streamed) {
        long start = System.nanoTime();
        String requestId = RequestIds.next();
        Invocation invocation;
        try {
            // In this order: a request's own faults are named before whether its endpoint exists.
            StageRequest input = streamed ? readStreamRequest(request, body) : readRequest(request, body);
            String target = header(request, TARGET_CONTAINER, 63);
            Endpoint endpoint = findEndpoint(endpointName);
            invocation = new Invocation(
                    request,
                    endpoint,
                    input,
                    target,
                    header(request, TARGET_VARIANT, 63),
                    requestId,
                    start,
                    1,
                    streamed);
        } catch (RuntimeException e) {
            errors.write(request.response(), requestId, e, null);
            return;
        }
        admit(invocation);
    }

    // The admission's future ends in a callback that carries the request on; nothing waits on it.
    @SuppressWarnings("FutureReturnValueIgnored")
    private void admit(Invocation invocation) {
        CompletableFuture<Endpoint.Lease> admitted = invocation.endpoint().admit(invocation.targetVariant());
        if (admitted.isDone()) {
            admitted(invocation, admitted);
        } else {
            // It waits in the admission line; it goes on on its own connection's event loop.
            Context context = Vertx.currentContext();
            admitted.whenComplete((lease, error) -> context.runOnContext(go -> admitted(invocation, admitted)));
        }
    }

    private void admitted(Invocation invocation, CompletableFuture<Endpoint.Lease> admitted) {
        Endpoint.Lease lease;
        try {
            lease = admitted.join();
        } catch (CompletionException e) {
            Throwable cause = Failures.unwrap(e);
            if (cause instanceof ThrottlingException) {
                metrics.throttled(invocation.endpoint().name());
            }
            console.failed(
                    invocation.endpoint().name(),
                    invocation.targetVariant(),
                    invocation.requestId(),
                    invocation.input(),
                    cause,
                    System.nanoTime() - invocation.start());
            errors.write(invocation.request().response(), invocation.requestId(), cause, null);
            return;
        }
        if (invocation.request().response().closed()) {
            // The client gave up while it waited: its place goes to the next request.
            lease.release();
            return;
        }
        if (invocation.streamed()) {
            stream(invocation, lease);
        } else {
            run(invocation, lease);
        }
    }

    /** What a run needs besides its invocation: its trace, if recorded, the stages and their input. */
    private record Prepared(Tracing.@Nullable Invocation trace, List<PipelineStage> stages, StageRequest input) {}

    private Prepared prepare(Invocation invocation, Endpoint.Lease lease) {
        HttpServerRequest request = invocation.request();
        String endpointName = invocation.endpoint().name();
        Tracing.Invocation trace = tracing.start(endpointName, request::getHeader);
        List<PipelineStage> stages = lease.instance().stages();
        StageRequest stageRequest = invocation.input();
        if (trace != null) {
            stages = tracing.traced(
                    stages,
                    trace,
                    endpointName,
                    lease.variant().name(),
                    lease.instance().id());
            stageRequest = stageRequest.withTraceparent(trace.traceparent());
        } else {
            // W3C Trace Context: propagate the client's context even when not recording.
            String clientTrace = request.getHeader(TRACEPARENT);
            if (clientTrace != null && TRACEPARENT_FORMAT.matcher(clientTrace).matches()) {
                stageRequest = stageRequest.withTraceparent(clientTrace);
            }
        }
        return new Prepared(trace, stages, stageRequest);
    }

    // The pipeline's future ends in the callback that answers the client; nothing else waits on it.
    @SuppressWarnings("FutureReturnValueIgnored")
    private void run(Invocation invocation, Endpoint.Lease lease) {
        HttpServerRequest request = invocation.request();
        HttpServerResponse response = request.response();
        Endpoint endpoint = invocation.endpoint();
        String endpointName = endpoint.name();
        String variantName = lease.variant().name();
        String target = invocation.target();
        String requestId = invocation.requestId();
        long start = invocation.start();
        Prepared prepared = prepare(invocation, lease);
        Tracing.Invocation trace = prepared.trace();
        List<PipelineStage> stages = prepared.stages();
        StageRequest stageRequest = prepared.input();
        StageRequest input = stageRequest;
        // An instance of a cluster runs the whole pipeline in its own process; this server is its gateway.
        RemoteInstance remote = lease.instance().remote();
        CompletableFuture<InvocationResult> answer = remote != null
                ? remote.invoke(stageRequest, target, request.getHeader(INFERENCE_ID))
                : engine.invoke(lease.variant().model().mode(), stages, stageRequest, target);
        // A container's answer arrives on this request's event loop; a model in the process may
        // answer from its own threads, and the response is written on the loop.
        answer.thenApply(result -> checkServerlessAnswer(lease.variant(), result))
                .whenComplete((result, error) -> RequestLoop.answer(request, () -> {
                    if (error != null) {
                        failed(invocation, lease, trace, error);
                        return;
                    }
                    lease.release();
                    endTrace(trace, null);
                    long took = System.nanoTime() - start;
                    metrics.success(endpointName, variantName, result, took);
                    boolean askedForStages = "stages".equalsIgnoreCase(request.getHeader(DEBUG));
                    console.succeeded(
                            endpointName, variantName, requestId, input, result.timings(), took, false, askedForStages);
                    if (askedForStages) {
                        response.putHeader(STAGES, ServerTiming.stages(result.timings()));
                    }
                    respond(response, lease.variant(), result, requestId, start);
                    capture.offer(
                            endpointName,
                            variantName,
                            requestId,
                            request.getHeader(INFERENCE_ID),
                            input.contentType(),
                            input.body(),
                            result.response().contentType(),
                            result.response().body());
                }));
    }

    /**
     * Runs a streamed invocation: as {@link #run} up to the answer's head — a failure before it is
     * an ordinary error — then its parts are written as they arrive by a {@link StreamedAnswer},
     * which holds the instance's place until the stream is over.
     */
    // The start's future ends in the callback that starts the stream; nothing waits on it.
    @SuppressWarnings("FutureReturnValueIgnored")
    private void stream(Invocation invocation, Endpoint.Lease lease) {
        HttpServerRequest request = invocation.request();
        Context context = Vertx.currentContext();
        Prepared prepared = prepare(invocation, lease);
        RemoteInstance remote = lease.instance().remote();
        // An instance of a cluster answers whole: its answer is streamed as one part.
        CompletableFuture<StreamedInvocation> started = remote != null
                ? remote.invoke(prepared.input(), invocation.target(), request.getHeader(INFERENCE_ID))
                        .thenApply(result ->
                                new StreamedInvocation(StreamedResponse.whole(result.response()), result.timings(), 0))
                : engine.invokeStreaming(
                        lease.variant().model().mode(), prepared.stages(), prepared.input(), invocation.target());
        started.whenComplete((streaming, error) -> context.runOnContext(go -> {
            if (error == null) {
                startStream(invocation, lease, prepared, streaming, context);
            } else {
                failed(invocation, lease, prepared.trace(), error);
            }
        }));
    }

    private void startStream(
            Invocation invocation,
            Endpoint.Lease lease,
            Prepared prepared,
            StreamedInvocation streaming,
            Context context) {
        HttpServerRequest request = invocation.request();
        HttpServerResponse response = request.response();
        StreamedResponse answer = streaming.response();
        String endpointName = invocation.endpoint().name();
        String variantName = lease.variant().name();
        if (response.closed()) {
            answer.discard();
            lease.release();
            endTrace(prepared.trace(), null);
            return;
        }
        response.setChunked(true).setStatusCode(200).putHeader(HttpHeaders.CONTENT_TYPE, EventStream.CONTENT_TYPE);
        if (answer.contentType() != null) {
            response.putHeader(STREAM_CONTENT_TYPE, answer.contentType());
        }
        if (answer.customAttributes() != null) {
            response.putHeader(CUSTOM_ATTRIBUTES, answer.customAttributes());
        }
        response.putHeader(INVOKED_VARIANT, variantName)
                .putHeader(REQUEST_ID, invocation.requestId())
                .putHeader("Trailer", "Server-Timing");
        boolean captured = capture.sampled(endpointName);
        StreamedAnswer writer = new StreamedAnswer(
                context.owner(),
                context,
                response,
                streamSilenceLimit,
                invocation.start(),
                captured ? maxPayloadBytes : 0,
                outcome -> {
                    lease.release();
                    endTrace(prepared.trace(), outcome.error());
                    List<StageTiming> timings = streaming.timings();
                    if (outcome.error() == null) {
                        metrics.streamed(
                                endpointName, variantName, timings, outcome.firstPartNanos(), outcome.endNanos());
                        console.succeeded(
                                endpointName,
                                variantName,
                                invocation.requestId(),
                                prepared.input(),
                                timings,
                                outcome.endNanos(),
                                true,
                                "stages".equalsIgnoreCase(request.getHeader(DEBUG)));
                    } else {
                        metrics.failure(
                                endpointName, variantName, ranInOrder(lease, invocation.target()), outcome.error());
                        console.failed(
                                endpointName,
                                variantName,
                                invocation.requestId(),
                                prepared.input(),
                                outcome.error(),
                                outcome.endNanos());
                    }
                    Payload output = outcome.captured();
                    if (output != null && outcome.error() == null && !outcome.clientGone()) {
                        capture.record(
                                endpointName,
                                variantName,
                                invocation.requestId(),
                                request.getHeader(INFERENCE_ID),
                                prepared.input().contentType(),
                                prepared.input().body(),
                                answer.contentType(),
                                output);
                    }
                    return ServerTiming.streamed(
                            timings, streaming.streamingStages(), outcome.firstPartNanos(), outcome.endNanos());
                });
        answer.parts().subscribe(writer);
    }

    /** An invocation that failed before its answer began: retried elsewhere, or answered with its error. */
    private void failed(
            Invocation invocation, Endpoint.Lease lease, Tracing.@Nullable Invocation trace, Throwable error) {
        lease.release();
        endTrace(trace, error);
        Throwable cause = Failures.unwrap(error);
        HttpServerResponse response = invocation.request().response();
        if (invocation.attempt() < MAX_INSTANCE_ATTEMPTS && !response.closed() && servableElsewhere(lease, cause)) {
            // Nothing reached that instance: another one serves the request instead.
            admit(invocation.nextAttempt());
            return;
        }
        Endpoint endpoint = invocation.endpoint();
        metrics.failure(endpoint.name(), lease.variant().name(), ranInOrder(lease, invocation.target()), cause);
        console.failed(
                endpoint.name(),
                lease.variant().name(),
                invocation.requestId(),
                invocation.input(),
                cause,
                System.nanoTime() - invocation.start());
        errors.write(response, invocation.requestId(), cause, logStream(endpoint, lease, cause));
    }

    /**
     * Whether the request failed without reaching the instance, so that another may serve it: a
     * cluster's instance could not be reached or died before it began to answer, or this server's
     * instance's first container refused the connection while another instance of its variant can
     * take it. (Nginx passes a request to the next server on a refused connection: {@code
     * proxy_next_upstream error}.)
     */
    private static boolean servableElsewhere(Endpoint.Lease lease, Throwable cause) {
        return switch (cause) {
            case InstanceUnreachableException unreachable -> unreachable.servableElsewhere();
            case ContainerRefusedException refused ->
                refused.nothingRan()
                        && lease.instance().remote() == null
                        && lease.variant().hasHealthyInstanceBesides(lease.instance());
            default -> false;
        };
    }

    private static void endTrace(Tracing.@Nullable Invocation trace, @Nullable Throwable error) {
        if (trace != null) {
            trace.end(error == null ? 200 : Tracing.status(error), error);
        }
    }

    /** A serverless variant answers at most 4 MB, as SageMaker's do. */
    private static InvocationResult checkServerlessAnswer(Variant variant, InvocationResult result) {
        int size = result.response().body().size();
        if (variant.serverless() != null && size > SERVERLESS_MAX_PAYLOAD) {
            String last = variant.model().containers().getLast().hostname();
            throw new ModelErrorException(
                    last,
                    200,
                    null,
                    "Received response from " + last + " with status code 200. However, the response is " + size
                            + " bytes, over the maximum of " + SERVERLESS_MAX_PAYLOAD
                            + " bytes a serverless endpoint returns.",
                    null);
        }
        return result;
    }

    /** The containers the request went to, in order: all of a serial pipeline, or the target. */
    private static List<String> ranInOrder(Endpoint.Lease lease, @Nullable String target) {
        return target != null
                ? List.of(target)
                : lease.variant().model().containers().stream()
                        .map(ContainerDefinition::hostname)
                        .toList();
    }

    private static @Nullable String logStream(Endpoint endpoint, Endpoint.Lease lease, Throwable error) {
        return error instanceof ModelErrorException model
                ? endpoint.name() + ":log-stream:" + lease.variant().name() + "/"
                        + lease.instance().id() + "/" + model.container()
                : null;
    }

    private StageRequest readRequest(HttpServerRequest request, Payload body) {
        header(request, INFERENCE_ID, 64);
        if (request.getHeader(TARGET_MODEL) != null) {
            throw new ValidationException(
                    TARGET_MODEL + " names a model of a multi-model endpoint; this endpoint serves one model.");
        }
        return new StageRequest(
                body,
                header(request, HttpHeaders.CONTENT_TYPE, MAX_HEADER),
                header(request, HttpHeaders.ACCEPT, MAX_HEADER),
                header(request, CUSTOM_ATTRIBUTES, MAX_HEADER));
    }

    /**
     * InvokeEndpointWithResponseStream's request: its Accept comes as {@code X-Amzn-SageMaker-Accept};
     * it may not name an inference component (Tandem's endpoints have none) or a session (there are
     * no stateful sessions to continue).
     */
    private StageRequest readStreamRequest(HttpServerRequest request, Payload body) {
        header(request, INFERENCE_ID, 64);
        if (request.getHeader(INFERENCE_COMPONENT) != null) {
            throw new ValidationException(INFERENCE_COMPONENT
                    + " names an inference component; this endpoint's variants run their models directly.");
        }
        if (request.getHeader(SESSION_ID) != null) {
            throw new ValidationException("Session " + request.getHeader(SESSION_ID)
                    + " does not exist: this endpoint has no stateful sessions.");
        }
        return new StageRequest(
                body,
                header(request, HttpHeaders.CONTENT_TYPE, MAX_HEADER),
                header(request, STREAM_ACCEPT, MAX_HEADER),
                header(request, CUSTOM_ATTRIBUTES, MAX_HEADER));
    }

    private Endpoint findEndpoint(String name) {
        EndpointNames.check(name);
        Endpoint endpoint = endpoints.require(name, accountId);
        if (isAsync.test(name)) {
            throw new ValidationException("Endpoint " + name + " is an asynchronous endpoint (its configuration has"
                    + " AsyncInferenceConfig) and takes only InvokeEndpointAsync requests: POST /endpoints/" + name
                    + "/async-invocations.");
        }
        return endpoint;
    }

    private static void respond(
            HttpServerResponse response, Variant variant, InvocationResult result, String requestId, long start) {
        StageResponse last = result.response();
        // Added, not set: the answer holds none of them yet, so nothing need be looked up to replace.
        MultiMap headers = response.headers();
        if (last.contentType() != null) {
            headers.add(HttpHeaders.CONTENT_TYPE, last.contentType());
        }
        if (last.customAttributes() != null) {
            headers.add(CUSTOM_ATTRIBUTES, last.customAttributes());
        }
        headers.add(INVOKED_VARIANT, variant.name())
                .add(REQUEST_ID, requestId)
                .add(SERVER_TIMING, ServerTiming.header(result.timings(), System.nanoTime() - start))
                .add(HttpHeaders.CONTENT_LENGTH, Integer.toString(last.body().size()));
        response.end(BufferBytes.writeAllButLast(response, last.body()));
    }

    private static @Nullable String header(HttpServerRequest request, CharSequence name, int maxLength) {
        String value = request.getHeader(name);
        if (value != null && value.length() > maxLength) {
            throw new ValidationException(
                    "Header " + name + " is " + value.length() + " characters long; at most " + maxLength + ".");
        }
        return value;
    }
}
