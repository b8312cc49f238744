package dev.tandem.server.tracing;

import dev.tandem.core.engine.AsyncStage;
import dev.tandem.core.engine.Failures;
import dev.tandem.core.engine.Parts;
import dev.tandem.core.engine.PipelineStage;
import dev.tandem.core.engine.StreamedResponse;
import dev.tandem.core.error.TandemException;
import dev.tandem.core.stage.StageException;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.core.stage.StageResponse;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * OpenTelemetry traces: a server span per invocation ({@code InvokeEndpoint}, the client's W3C
 * {@code traceparent} as its parent) with a child span per container that ran, tagged with
 * endpoint, variant, instance, container and status; each container gets its span's {@code
 * traceparent}, so that its own spans join the trace.
 *
 * <p>Off unless the standard {@code OTEL_*} environment variables ask for an exporter (for example
 * {@code OTEL_EXPORTER_OTLP_ENDPOINT}); off, it costs nothing on the request path.
 */
public final class Tracing {
    static final AttributeKey<String> ENDPOINT = AttributeKey.stringKey("sagemaker.endpoint");
    static final AttributeKey<String> VARIANT = AttributeKey.stringKey("sagemaker.variant");
    static final AttributeKey<String> INSTANCE = AttributeKey.stringKey("sagemaker.instance");
    static final AttributeKey<String> CONTAINER = AttributeKey.stringKey("sagemaker.container");
    static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");

    private static final W3CTraceContextPropagator PROPAGATOR = W3CTraceContextPropagator.getInstance();
    /** The status of nearly every span, boxed once (the API boxes a {@code long} on every call). */
    private static final Long OK = 200L;

    private final @Nullable Tracer tracer;
    /**
     * Span names, built once per endpoint and per container rather than concatenated for every
     * span; up to {@value #MAX_KEPT_NAMES} of each, so that a server whose endpoints come and go
     * for months does not keep every name it ever saw.
     */
    private final ConcurrentMap<String, String> serverSpanNames = new ConcurrentHashMap<>();

    private final ConcurrentMap<String, String> stageSpanNames = new ConcurrentHashMap<>();
    private static final int MAX_KEPT_NAMES = 4096;

    private Tracing(@Nullable Tracer tracer) {
        this.tracer = tracer;
    }

    /** No tracing. */
    public static Tracing off() {
        return new Tracing(null);
    }

    /** Traces into {@code openTelemetry} (tests give one with an in-memory exporter). */
    public static Tracing with(OpenTelemetry openTelemetry) {
        return new Tracing(openTelemetry.getTracer("dev.tandem"));
    }

    /** Tracing as the OTEL_* environment configures it; off when it names no exporter. */
    public static Tracing fromEnvironment(Map<String, String> environment) {
        boolean configured = environment.containsKey("OTEL_EXPORTER_OTLP_ENDPOINT")
                || environment.containsKey("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
                || (environment.containsKey("OTEL_TRACES_EXPORTER")
                        && !environment.get("OTEL_TRACES_EXPORTER").equals("none"));
        if (!configured || "true".equals(environment.get("OTEL_SDK_DISABLED"))) {
            return off();
        }
        Map<String, String> properties = new java.util.HashMap<>();
        // The SDK reads OTEL_* from the process environment itself; passing them as properties too
        // makes this method honour exactly the map it is given.
        environment.forEach((name, value) -> {
            if (name.startsWith("OTEL_")) {
                properties.put(name.toLowerCase(java.util.Locale.ROOT).replace('_', '.'), value);
            }
        });
        properties.putIfAbsent("otel.metrics.exporter", "none");
        properties.putIfAbsent("otel.logs.exporter", "none");
        properties.putIfAbsent("otel.service.name", "tandem");
        return with(AutoConfiguredOpenTelemetrySdk.builder()
                .addPropertiesSupplier(() -> properties)
                .build()
                .getOpenTelemetrySdk());
    }

    public boolean enabled() {
        return tracer != null;
    }

    /** One traced invocation: the server span, and the traceparent its stages run under. */
    public record Invocation(Span span, String traceparent) {
        /** Ends the server span with the outcome of the request. */
        public void end(int httpStatus, @Nullable Throwable error) {
            span.setAttribute(STATUS, httpStatus == 200 ? OK : Long.valueOf(httpStatus));
            if (error != null) {
                span.setStatus(StatusCode.ERROR, String.valueOf(error.getMessage()));
            }
            span.end();
        }
    }

    /**
     * Starts the server span of an invocation, under the client's trace when its headers carry
     * one; null when tracing is off.
     */
    public @Nullable Invocation start(String endpoint, Function<String, @Nullable String> headers) {
        if (tracer == null) {
            return null;
        }
        // Most requests carry no trace of their own: nothing to parse then.
        Context parent = headers.apply("traceparent") == null
                ? Context.root()
                : PROPAGATOR.extract(Context.root(), headers, GETTER);
        Span span = tracer.spanBuilder(spanName(serverSpanNames, "InvokeEndpoint ", endpoint))
                .setParent(parent)
                .setSpanKind(SpanKind.SERVER)
                .setAttribute(ENDPOINT, endpoint)
                .startSpan();
        return new Invocation(span, traceparent(span.getSpanContext()));
    }

    /**
     * The instance's stages, each wrapped in a span that is a child of the invocation's server span;
     * as they are when tracing is off.
     */
    public List<PipelineStage> traced(
            List<PipelineStage> stages, Invocation invocation, String endpoint, String variant, String instance) {
        Tracer active = tracer;
        if (active == null) {
            return stages;
        }
        Context parent = Context.root().with(invocation.span());
        List<PipelineStage> traced = new ArrayList<>(stages.size());
        for (PipelineStage stage : stages) {
            String name = spanName(stageSpanNames, "container ", stage.hostname());
            traced.add(new PipelineStage(
                    stage.hostname(), span(active, parent, name, stage, endpoint, variant, instance)));
        }
        return traced;
    }

    private static AsyncStage span(
            Tracer active,
            Context parent,
            String name,
            PipelineStage stage,
            String endpoint,
            String variant,
            String instance) {
        return new AsyncStage() {
            @Override
            public CompletionStage<StageResponse> invoke(StageRequest request) {
                Span span = start();
                return call(() -> stage.stage().invoke(request.withTraceparent(traceparent(span.getSpanContext()))))
                        .whenComplete((response, error) -> end(span, error));
            }

            /** A streaming stage's span lasts until its stream ends. */
            @Override
            public CompletionStage<StreamedResponse> invokeStreaming(StageRequest request) {
                Span span = start();
                return call(() -> stage.stage()
                                .invokeStreaming(request.withTraceparent(traceparent(span.getSpanContext()))))
                        .whenComplete((head, error) -> {
                            if (error != null) {
                                end(span, error);
                            }
                        })
                        .thenApply(head -> lastingUntilEnd(head, span));
            }

            @Override
            public boolean consumesStream() {
                return stage.stage().consumesStream();
            }

            @Override
            public CompletionStage<StreamedResponse> consume(StageRequest request, StreamedResponse upstream) {
                Span span = start();
                return call(() -> stage.stage()
                                .consume(request.withTraceparent(traceparent(span.getSpanContext())), upstream))
                        .whenComplete((head, error) -> {
                            if (error != null) {
                                end(span, error);
                            }
                        })
                        .thenApply(head -> lastingUntilEnd(head, span));
            }

            private Span start() {
                return active.spanBuilder(name)
                        .setParent(parent)
                        .setSpanKind(SpanKind.CLIENT)
                        .setAttribute(ENDPOINT, endpoint)
                        .setAttribute(VARIANT, variant)
                        .setAttribute(INSTANCE, instance)
                        .setAttribute(CONTAINER, stage.hostname())
                        .startSpan();
            }
        };
    }

    private static String spanName(ConcurrentMap<String, String> kept, String prefix, String subject) {
        String name = kept.get(subject);
        if (name == null) {
            name = prefix + subject;
            if (kept.size() < MAX_KEPT_NAMES) {
                kept.put(subject, name);
            }
        }
        return name;
    }

    private static <T> CompletableFuture<T> call(Supplier<CompletionStage<T>> stage) {
        try {
            return stage.get().toCompletableFuture();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static StreamedResponse lastingUntilEnd(StreamedResponse head, Span span) {
        return new StreamedResponse(
                head.contentType(), head.customAttributes(), Parts.onEnd(head.parts(), error -> end(span, error)));
    }

    private static void end(Span span, @Nullable Throwable error) {
        if (error == null) {
            span.setAttribute(STATUS, OK);
        } else {
            Throwable cause = Failures.unwrap(error);
            if (cause instanceof StageException failed) {
                span.setAttribute(STATUS, (long) failed.status());
            }
            span.setStatus(StatusCode.ERROR, String.valueOf(cause.getMessage()));
        }
        span.end();
    }

    /** The HTTP status an error is answered with, for the server span. */
    public static int status(Throwable error) {
        return Failures.unwrap(error) instanceof TandemException known
                ? known.kind().httpStatus()
                : 500;
    }

    /**
     * W3C's {@code traceparent} of a span: version 00, trace id, span id, flags — written directly
     * from the span's ids (which it holds as hex already) rather than through the propagator's map.
     */
    private static String traceparent(SpanContext context) {
        return "00-" + context.getTraceId() + "-" + context.getSpanId() + "-"
                + context.getTraceFlags().asHex();
    }

    /** Reads trace headers from a request's header lookup. */
    private static final TextMapGetter<Function<String, @Nullable String>> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Function<String, @Nullable String> carrier) {
            return List.of("traceparent", "tracestate");
        }

        @Override
        public @Nullable String get(@Nullable Function<String, @Nullable String> carrier, String key) {
            return carrier == null ? null : carrier.apply(key);
        }
    };
}
