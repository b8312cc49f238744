package dev.tandem.server.console;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.core.model.ContainerDefinition;
import dev.tandem.core.model.ImageRef;
import dev.tandem.core.runtime.ContainerStatus;
import dev.tandem.core.runtime.RunningContainer;
import dev.tandem.server.api.ErrorResponses;
import dev.tandem.server.api.RequestIds;
import dev.tandem.server.api.RequestLoop;
import dev.tandem.server.endpoint.Endpoint;
import dev.tandem.server.endpoint.EndpointRegistry;
import dev.tandem.server.endpoint.Instance;
import dev.tandem.server.endpoint.Variant;
import io.vertx.core.http.HttpServerRequest;

/**
 * {@code GET /endpoints/{EndpointName}/overview}: what the console shows of one endpoint in one
 * answer — its variants with their instances and containers (health, restarts, requests in
 * flight), its pipeline's stages with their runtime, its traffic over the last 15 minutes and its
 * latest invocations with each stage's time.
 */
public final class EndpointOverviewApi {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final EndpointRegistry endpoints;
    private final ConsoleRecorder recorder;
    private final ErrorResponses errors;
    private final String accountId;

    public EndpointOverviewApi(
            EndpointRegistry endpoints, ConsoleRecorder recorder, ErrorResponses errors, String accountId) {
        this.endpoints = endpoints;
        this.recorder = recorder;
        this.errors = errors;
        this.accountId = accountId;
    }

    public void handle(HttpServerRequest request, String endpointName) {
        String requestId = RequestIds.next();
        try {
            Endpoint endpoint = endpoints.require(endpointName, accountId);
            ObjectNode body = JSON.createObjectNode();
            body.put("EndpointName", endpoint.name());
            body.put("InService", endpoint.isInService());
            ArrayNode variants = body.putArray("Variants");
            for (Variant variant : endpoint.variants()) {
                variants.add(variant(variant));
            }
            ArrayNode traffic = body.putArray("Traffic");
            for (TrafficHistory.Point point : recorder.traffic().points(endpoint.name())) {
                traffic.addObject()
                        .put("Time", point.epochMillis())
                        .put("RequestsPerSecond", point.requestsPerSecond())
                        .put("ErrorsPerSecond", point.errorsPerSecond())
                        .put("P50Millis", point.p50Millis())
                        .put("P99Millis", point.p99Millis());
            }
            ArrayNode recent = body.putArray("Recent");
            for (RecentInvocations.Invocation invocation : recorder.recent().latest(endpoint.name())) {
                recent.add(JSON.valueToTree(invocation));
            }
            String answer = body.toString();
            RequestLoop.answer(request, () -> request.response()
                    .putHeader("Content-Type", "application/json")
                    .putHeader("Cache-Control", "no-store")
                    .putHeader("x-amzn-RequestId", requestId)
                    .end(answer));
        } catch (RuntimeException e) {
            errors.answer(request, requestId, e);
        }
    }

    private static ObjectNode variant(Variant variant) {
        ObjectNode node = JSON.createObjectNode();
        node.put("VariantName", variant.name());
        node.put("Weight", variant.weight());
        node.put("Mode", variant.model().mode().name());
        node.put("Serverless", variant.serverless() != null);
        ArrayNode stages = node.putArray("Stages");
        for (ContainerDefinition container : variant.model().containers()) {
            stages.addObject()
                    .put("Hostname", container.hostname())
                    .put("Runtime", runtime(container.image()))
                    .put("Image", image(container.image()));
        }
        ArrayNode instances = node.putArray("Instances");
        for (Instance instance : variant.instances()) {
            ObjectNode entry = instances
                    .addObject()
                    .put("Id", instance.id())
                    .put("Healthy", instance.isHealthy())
                    .put("InFlight", instance.outstanding())
                    .put("MaxInFlight", instance.maxInFlight())
                    .put("Served", instance.served());
            ArrayNode containers = entry.putArray("Containers");
            for (RunningContainer container : instance.containers()) {
                ContainerStatus status = container.status();
                containers
                        .addObject()
                        .put("Hostname", container.hostname())
                        .put("Phase", status.phase().name())
                        .put("Restarts", status.restarts())
                        .put("Reason", status.reason());
            }
        }
        return node;
    }

    /** How a container runs, in the words of the pipeline file. */
    static String runtime(ImageRef image) {
        return switch (image) {
            case ImageRef.Exec exec -> "exec";
            case ImageRef.Http http -> "http";
            case ImageRef.Builtin builtin -> "builtin";
            case ImageRef.Oci oci -> "image";
        };
    }

    private static String image(ImageRef image) {
        return switch (image) {
            case ImageRef.Exec exec -> exec.spec();
            case ImageRef.Http http -> http.spec();
            case ImageRef.Builtin builtin -> builtin.spec();
            case ImageRef.Oci oci -> oci.spec();
        };
    }
}
