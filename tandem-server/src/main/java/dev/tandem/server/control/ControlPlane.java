package dev.tandem.server.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.core.error.ErrorKind;
import dev.tandem.core.error.TandemException;
import dev.tandem.core.error.ValidationException;
import dev.tandem.core.model.PipelineDefinition;
import dev.tandem.core.model.PipelineParser;
import dev.tandem.server.async.AsyncAutoscaler;
import dev.tandem.server.async.AsyncInference;
import dev.tandem.server.async.AsyncSettings;
import dev.tandem.server.capture.CaptureSettings;
import dev.tandem.server.capture.DataCapture;
import dev.tandem.server.control.Deployment.VariantDeployment;
import dev.tandem.server.endpoint.Endpoint;
import dev.tandem.server.endpoint.EndpointRegistry;
import dev.tandem.server.endpoint.ServerlessConfig;
import dev.tandem.server.endpoint.Variant;
import dev.tandem.server.store.StateStore;
import dev.tandem.server.store.StoredEndpoint;
import dev.tandem.server.store.StoredEndpointConfig;
import dev.tandem.server.store.StoredModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane: models, endpoint configurations and endpoints, their rules and their
 * lifecycle. Every change is written to the state store before the operation answers; endpoints
 * then start, update and stop in the background, their status telling where they stand
 * (Creating → InService or Failed; Updating; Deleting), as in SageMaker.
 */
public final class ControlPlane implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ControlPlane.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final StateStore store;
    private final EndpointRegistry registry;
    private final Arns arns;
    private final Clock clock;
    private final Path baseDir;
    private final Duration defaultStartupTimeout;
    private final int maxInstances;
    private final PipelineParser parser = new PipelineParser();
    private final Placement placement;
    private final AsyncInference async;

    /**
     * @param baseDir the folder relative {@code exec:} and {@code file:} paths of API requests are
     *     resolved against
     * @param onCluster whether a cluster's own controller runs the endpoints ({@link
     *     ClusterPlacement}) rather than this server
     */
    public ControlPlane(
            StateStore store,
            EndpointRegistry registry,
            Arns arns,
            Clock clock,
            Path baseDir,
            Duration defaultStartupTimeout,
            int maxInstances,
            DataCapture capture,
            AsyncInference async,
            boolean onCluster) {
        this.store = store;
        this.registry = registry;
        this.arns = arns;
        this.clock = clock;
        this.baseDir = baseDir.toAbsolutePath();
        this.defaultStartupTimeout = defaultStartupTimeout;
        this.maxInstances = maxInstances;
        this.async = async;
        this.placement = onCluster
                ? new ClusterPlacement(store, clock)
                : new EndpointLifecycle(
                        store, registry, clock, this.baseDir, defaultStartupTimeout, this, capture, async);
    }

    public Arns arns() {
        return arns;
    }

    // --- Models ---------------------------------------------------------------------------------

    /** CreateModel with paths relative to the server's folder. */
    public StoredModel createModel(JsonNode request) {
        return createModel(request, baseDir);
    }

    /**
     * CreateModel: checks the definition as a pipeline file is checked, makes its paths absolute
     * (so it runs the same after a restart from another folder) and stores it.
     */
    public synchronized StoredModel createModel(JsonNode request, Path relativeTo) {
        byte[] json = request.toString().getBytes(StandardCharsets.UTF_8);
        placement.check(parser.parse(json, relativeTo));
        ObjectNode definition = absolutePaths(request.deepCopy(), relativeTo.toAbsolutePath());
        String name = definition.path("ModelName").asText();
        StoredModel model = new StoredModel(name, arns.model(name), definition.toString(), clock.instant());
        if (!store.insertModel(model)) {
            throw new ValidationException("Cannot create already existing model \"" + arns.model(name) + "\".");
        }
        LOG.info("Model {} created", name);
        return model;
    }

    public StoredModel model(String name) {
        return store.model(name)
                .orElseThrow(() -> new ValidationException("Could not find model \"" + arns.model(name) + "\"."));
    }

    public List<StoredModel> models() {
        return store.models();
    }

    public synchronized void deleteModel(String name) {
        if (!store.deleteModel(name)) {
            throw new ValidationException("Could not find model \"" + arns.model(name) + "\".");
        }
        LOG.info("Model {} deleted", name);
    }

    /**
     * Serves a pipeline file through the same operations a client would call: CreateModel,
     * CreateEndpointConfig (variant AllTraffic, one instance) and CreateEndpoint, all named after
     * its ModelName; asynchronous, with its results under {@code asyncOutputPath}, when that is
     * given; serverless when {@code serverless} is. What a previous run on this data dir already created is kept (its endpoint is being
     * restored), as long as the file still says the same; an endpoint that had failed starts again,
     * from the file's definition if that changed.
     *
     * @return the endpoint's name
     * @throws ValidationException when the file is invalid, or differs from the model of that name
     *     that a stored endpoint runs
     */
    public synchronized String servePipeline(
            JsonNode request,
            Path relativeTo,
            @Nullable String asyncOutputPath,
            @Nullable ServerlessConfig serverless) {
        byte[] json = request.toString().getBytes(StandardCharsets.UTF_8);
        PipelineDefinition pipeline = parser.parse(json, relativeTo);
        String name = pipeline.modelName();
        ObjectNode definition = absolutePaths(request.deepCopy(), relativeTo.toAbsolutePath());
        Optional<StoredEndpoint> endpoint = store.endpoint(name);
        boolean failed =
                endpoint.isPresent() && EndpointStatus.valueOf(endpoint.get().status()) == EndpointStatus.Failed;
        Optional<StoredModel> existing = store.model(name);
        if (existing.isEmpty()) {
            createModel(request, relativeTo);
        } else if (!read(existing.get().definition()).equals(definition)) {
            if (endpoint.isPresent() && !failed) {
                throw new ValidationException("Model " + name + " already exists in this data dir with a different"
                        + " definition, and its endpoint runs it: delete the endpoint and the model (DeleteEndpoint,"
                        + " DeleteModel), or use another --data-dir.");
            }
            // Nothing runs the stored definition: the file's replaces it. Checked before the stored
            // one goes, so that a file this server cannot place leaves it in place.
            placement.check(pipeline);
            store.deleteModel(name);
            createModel(request, relativeTo);
            LOG.info("Model {} replaced by its pipeline file's new definition", name);
        }
        if (store.endpointConfig(name).isEmpty()) {
            ObjectNode config = JSON.createObjectNode();
            config.put("EndpointConfigName", name);
            ObjectNode variant = config.putArray("ProductionVariants").addObject();
            variant.put("VariantName", Endpoint.DEFAULT_VARIANT);
            variant.put("ModelName", name);
            if (serverless == null) {
                variant.put("InitialInstanceCount", 1);
            } else {
                variant.set("ServerlessConfig", Deployment.serverlessJson(serverless));
            }
            variant.put("InitialVariantWeight", 1.0);
            if (asyncOutputPath != null) {
                config.putObject("AsyncInferenceConfig")
                        .putObject("OutputConfig")
                        .put("S3OutputPath", asyncOutputPath);
            }
            createEndpointConfig(config);
        }
        if (endpoint.isEmpty()) {
            createEndpoint(name, name);
        } else if (failed) {
            startAgain(endpoint.get());
        }
        return name;
    }

    /**
     * A pipeline file's endpoint that failed in an earlier run on this data dir starts again, from
     * its configuration's model as stored now: serving the file asks for it to run, and what failed
     * (a container's program, a missing model file, the file itself) has usually been mended since.
     * Through the API a Failed endpoint still allows only DeleteEndpoint, as on SageMaker.
     */
    private void startAgain(StoredEndpoint failed) {
        Deployment deployment = deploymentOf(endpointConfig(failed.configName()));
        placement.check(deployment);
        checkInstanceLimit(instances(deployment));
        store.updateEndpoint(failed.withDeployment(failed.configName(), deployment.toJson(), clock.instant())
                .withStatus(EndpointStatus.Creating.name(), null, clock.instant()));
        LOG.info("Endpoint {} failed when last started ({}); starting it again", failed.name(), failed.failureReason());
        placement.create(failed.name(), deployment, EndpointStatus.Creating);
    }

    // --- Endpoint configurations ----------------------------------------------------------------

    public synchronized StoredEndpointConfig createEndpointConfig(JsonNode request) {
        String name = request.path("EndpointConfigName").asText();
        Set<String> variantNames = new HashSet<>();
        for (JsonNode variant : request.path("ProductionVariants")) {
            String variantName = variant.path("VariantName").asText();
            if (!variantNames.add(variantName)) {
                throw new ValidationException("The variant name(s) [" + variantName + "] is/are not unique.");
            }
            model(variant.path("ModelName").asText());
            if (!variant.has("InitialInstanceCount") && !variant.has("ServerlessConfig")) {
                throw new ValidationException("Variant " + variantName
                        + ": InitialInstanceCount is required (or ServerlessConfig for a serverless variant).");
            }
            if (variant.has("ServerlessConfig")) {
                checkServerless(variantName, variant, request);
            }
        }
        AsyncSettings.of(request.get("AsyncInferenceConfig"));
        for (String unsupported : List.of("ShadowProductionVariants", "ExplainerConfig")) {
            if (request.has(unsupported)) {
                throw new ValidationException(unsupported + " is not supported by this server yet.");
            }
        }
        CaptureSettings.of(request.get("DataCaptureConfig"));
        StoredEndpointConfig config =
                new StoredEndpointConfig(name, arns.endpointConfig(name), request.toString(), clock.instant());
        if (!store.insertEndpointConfig(config)) {
            throw new ValidationException(
                    "Cannot create already existing endpoint configuration \"" + arns.endpointConfig(name) + "\".");
        }
        LOG.info("Endpoint configuration {} created", name);
        return config;
    }

    /**
     * A serverless variant: its config valid (ranges, 1 GB steps, provisioned within max), no
     * instance settings beside it, no asynchronous inference. Unlike SageMaker, it may run a
     * multi-container pipeline and share the endpoint with other variants.
     */
    private static void checkServerless(String variantName, JsonNode variant, JsonNode request) {
        try {
            Deployment.serverless(variant.get("ServerlessConfig"));
        } catch (ValidationException e) {
            throw new ValidationException("Variant " + variantName + ": " + e.getMessage());
        }
        for (String instanceSetting : List.of("InstanceType", "InitialInstanceCount")) {
            if (variant.has(instanceSetting)) {
                throw new ValidationException("Variant " + variantName + ": " + instanceSetting
                        + " cannot be given with ServerlessConfig: a serverless variant has no instances to choose;"
                        + " give one or the other.");
            }
        }
        if (request.has("AsyncInferenceConfig")) {
            throw new ValidationException("Variant " + variantName + ": a serverless variant cannot serve an"
                    + " endpoint with AsyncInferenceConfig; give its variants InitialInstanceCount instead.");
        }
    }

    public StoredEndpointConfig endpointConfig(String name) {
        return store.endpointConfig(name)
                .orElseThrow(() -> new ValidationException(
                        "Could not find endpoint configuration \"" + arns.endpointConfig(name) + "\"."));
    }

    public List<StoredEndpointConfig> endpointConfigs() {
        return store.endpointConfigs();
    }

    public synchronized void deleteEndpointConfig(String name) {
        if (!store.deleteEndpointConfig(name)) {
            throw new ValidationException(
                    "Could not find endpoint configuration \"" + arns.endpointConfig(name) + "\".");
        }
        LOG.info("Endpoint configuration {} deleted", name);
    }

    // --- Endpoints ------------------------------------------------------------------------------

    /** CreateEndpoint: stores the endpoint as Creating and starts its instances in the background. */
    public synchronized StoredEndpoint createEndpoint(String name, String configName) {
        if (store.endpoint(name).isPresent()) {
            throw new ValidationException("Cannot create already existing endpoint \"" + arns.endpoint(name) + "\".");
        }
        Deployment deployment = deploymentOf(endpointConfig(configName));
        placement.check(deployment);
        checkInstanceLimit(instances(deployment));
        StoredEndpoint endpoint = new StoredEndpoint(
                name,
                arns.endpoint(name),
                configName,
                deployment.toJson(),
                EndpointStatus.Creating.name(),
                null,
                clock.instant(),
                clock.instant());
        store.insertEndpoint(endpoint);
        LOG.info("Endpoint {} creating from configuration {}", name, configName);
        placement.create(name, deployment, EndpointStatus.Creating);
        testNotification(name, deployment);
        return endpoint;
    }

    public StoredEndpoint endpoint(String name) {
        return store.endpoint(name)
                .orElseThrow(() -> new ValidationException("Could not find endpoint \"" + arns.endpoint(name) + "\"."));
    }

    public List<StoredEndpoint> endpoints() {
        return store.endpoints();
    }

    /** The running endpoint, when its instances exist. */
    public Optional<Endpoint> live(String name) {
        return registry.find(name);
    }

    /** DeleteEndpoint: stops taking requests at once, lets those in flight finish, then stops. */
    public synchronized void deleteEndpoint(String name) {
        StoredEndpoint stored = endpoint(name);
        store.updateEndpoint(stored.withStatus(EndpointStatus.Deleting.name(), null, clock.instant()));
        LOG.info("Endpoint {} deleting", name);
        placement.delete(name);
    }

    /**
     * UpdateEndpoint, blue/green: the new configuration's instances start beside the old ones,
     * which keep serving; once every new instance is healthy traffic moves to them and the old
     * ones stop after finishing their requests in flight. If the new fleet does not become
     * healthy, the endpoint stays on the old one, InService, with the failure as FailureReason.
     */
    public synchronized void updateEndpoint(String name, String configName) {
        StoredEndpoint stored = endpoint(name);
        EndpointStatus status = EndpointStatus.valueOf(stored.status());
        if (status != EndpointStatus.InService) {
            throw new TandemException(
                    ErrorKind.VALIDATION, "Cannot update in-progress endpoint \"" + arns.endpoint(name) + "\".");
        }
        Deployment next = deploymentOf(endpointConfig(configName));
        if (next.hasServerless() && !Deployment.fromJson(stored.deployment()).hasServerless()) {
            throw new ValidationException("Cannot update endpoint \"" + arns.endpoint(name)
                    + "\" from instance-based variants to serverless: as on SageMaker, a serverless endpoint can"
                    + " become instance-based but not the reverse. Create a new endpoint for the serverless"
                    + " configuration.");
        }
        placement.check(next);
        // Blue/green runs both fleets for a while: the new one must fit beside the old.
        checkInstanceLimit(instances(next));
        store.updateEndpoint(stored.withStatus(EndpointStatus.Updating.name(), null, clock.instant()));
        LOG.info("Endpoint {} updating to configuration {}", name, configName);
        placement.update(name, configName, next);
        testNotification(name, next);
    }

    /** SageMaker's test notification, on create and on every update of an asynchronous endpoint. */
    private void testNotification(String name, Deployment deployment) {
        AsyncSettings settings = AsyncSettings.of(deployment.asyncConfig());
        if (settings != null) {
            async.testNotification(name, settings);
        }
    }

    /**
     * UpdateEndpointWeightsAndCapacities: weights take effect at once; a changed instance count
     * starts (or drains and stops) instances of that variant in the background, the endpoint
     * Updating meanwhile. New instances take traffic once healthy; if they do not become healthy
     * the endpoint stays as it was, InService, with the failure as FailureReason.
     */
    public synchronized void updateWeightsAndCapacities(
            String name, Map<String, Double> weights, Map<String, Integer> instanceCounts) {
        updateWeightsAndCapacities(name, weights, instanceCounts, Map.of());
    }

    /**
     * UpdateEndpointWeightsAndCapacities with {@code ServerlessUpdateConfig}s: a serverless
     * variant's MaxConcurrency and ProvisionedConcurrency change in place, at once — more warm
     * instances start, a lower maximum refuses what exceeds it from the next request on.
     */
    public synchronized void updateWeightsAndCapacities(
            String name,
            Map<String, Double> weights,
            Map<String, Integer> instanceCounts,
            Map<String, ServerlessUpdate> serverless) {
        if (serverless.isEmpty()) {
            resize(name, weights, instanceCounts, true);
            return;
        }
        StoredEndpoint stored = endpoint(name);
        if (EndpointStatus.valueOf(stored.status()) != EndpointStatus.InService) {
            throw new ValidationException("Cannot update in-progress endpoint \"" + arns.endpoint(name) + "\".");
        }
        Deployment deployment = Deployment.fromJson(stored.deployment());
        Map<String, ServerlessConfig> changed = new java.util.LinkedHashMap<>();
        for (var update : serverless.entrySet()) {
            changed.put(update.getKey(), updated(name, deployment, update.getKey(), update.getValue(), instanceCounts));
        }
        resize(name, weights, instanceCounts, true);
        // resize stored the weights and counts; the serverless settings go on top.
        StoredEndpoint resized = endpoint(name);
        Deployment next = Deployment.fromJson(resized.deployment());
        next = next.withVariants(next.variants().stream()
                .map(v -> changed.containsKey(v.variantName()) ? v.withServerless(changed.get(v.variantName())) : v)
                .toList());
        store.updateEndpoint(resized.withDeployment(resized.configName(), next.toJson(), clock.instant()));
        Endpoint live = registry.find(name).orElseThrow(() -> new IllegalStateException(name + " is not running"));
        changed.forEach((variant, config) ->
                live.variant(variant).map(Variant::serverless).ifPresent(scaler -> scaler.update(config)));
        LOG.info("Endpoint {} serverless settings updated: {}", name, changed);
    }

    /** A serverless variant's settings as {@code wanted} changes them; refused for any other variant. */
    private ServerlessConfig updated(
            String endpoint,
            Deployment deployment,
            String variant,
            ServerlessUpdate wanted,
            Map<String, Integer> instanceCounts) {
        VariantDeployment current = deployment.variants().stream()
                .filter(v -> v.variantName().equals(variant))
                .findFirst()
                .orElseThrow(() -> new ValidationException("The variant(s) \"[" + variant
                        + "]\" is/are not present in the endpoint \"" + arns.endpoint(endpoint) + "\"."));
        ServerlessConfig config = current.serverless();
        if (config == null) {
            throw new ValidationException("Variant " + variant + " is not serverless: ServerlessUpdateConfig"
                    + " applies to serverless variants; give DesiredInstanceCount instead.");
        }
        if (instanceCounts.containsKey(variant)) {
            throw new ValidationException("Variant " + variant
                    + " is serverless: it takes ServerlessUpdateConfig, not DesiredInstanceCount.");
        }
        Integer max = wanted.maxConcurrency();
        Integer provisioned = wanted.provisionedConcurrency();
        try {
            return config.withConcurrency(
                    max == null ? config.maxConcurrency() : max,
                    provisioned == null ? config.provisionedConcurrency() : provisioned);
        } catch (ValidationException e) {
            throw new ValidationException("Variant " + variant + ": " + e.getMessage());
        }
    }

    /** A ServerlessUpdateConfig: the values it gives; null for those it leaves as they are. */
    public record ServerlessUpdate(@Nullable Integer maxConcurrency, @Nullable Integer provisionedConcurrency) {}

    /**
     * Tandem's own scaling of an asynchronous variant ({@link AsyncAutoscaler}): like
     * UpdateEndpointWeightsAndCapacities, but the variant's minimum stays, and nothing happens
     * unless the endpoint is InService.
     */
    public synchronized void autoscale(String name, String variant, int count) {
        Optional<StoredEndpoint> stored = store.endpoint(name);
        if (stored.isEmpty() || EndpointStatus.valueOf(stored.get().status()) != EndpointStatus.InService) {
            return;
        }
        resize(name, Map.of(), Map.of(variant, count), false);
    }

    /** An InService endpoint's variants with their desired and minimum instance counts; else empty. */
    public synchronized List<AsyncAutoscaler.VariantCapacity> capacity(String name) {
        Optional<StoredEndpoint> stored = store.endpoint(name);
        if (stored.isEmpty() || EndpointStatus.valueOf(stored.get().status()) != EndpointStatus.InService) {
            return List.of();
        }
        return Deployment.fromJson(stored.get().deployment()).variants().stream()
                .map(v -> new AsyncAutoscaler.VariantCapacity(v.variantName(), v.instanceCount(), v.minInstanceCount()))
                .toList();
    }

    private void resize(String name, Map<String, Double> weights, Map<String, Integer> instanceCounts, boolean byUser) {
        StoredEndpoint stored = endpoint(name);
        if (EndpointStatus.valueOf(stored.status()) != EndpointStatus.InService) {
            throw new ValidationException("Cannot update in-progress endpoint \"" + arns.endpoint(name) + "\".");
        }
        Set<String> running = placement.variants(name);
        Set<String> named = new HashSet<>(weights.keySet());
        named.addAll(instanceCounts.keySet());
        for (String variant : named) {
            if (!running.contains(variant)) {
                throw new ValidationException("The variant(s) \"[" + variant
                        + "]\" is/are not present in the endpoint \"" + arns.endpoint(name) + "\".");
            }
        }
        Deployment deployment = Deployment.fromJson(stored.deployment());
        if (deployment.asyncConfig() == null) {
            instanceCounts.forEach((variant, count) -> {
                if (count < 1) {
                    throw new ValidationException("Variant " + variant + ": DesiredInstanceCount " + count
                            + " is only for asynchronous endpoints (with AsyncInferenceConfig); a real-time variant"
                            + " keeps at least 1 instance.");
                }
            });
        }
        List<VariantDeployment> updated = new ArrayList<>();
        int added = 0;
        Map<String, Integer> changes = new java.util.LinkedHashMap<>();
        for (VariantDeployment variant : deployment.variants()) {
            Double weight = weights.get(variant.variantName());
            Integer count = instanceCounts.get(variant.variantName());
            if (count != null && variant.serverless() != null) {
                throw new ValidationException("Variant " + variant.variantName()
                        + " is serverless: it takes ServerlessUpdateConfig, not DesiredInstanceCount.");
            }
            VariantDeployment next = weight == null ? variant : variant.withWeight(weight);
            if (count != null && count != variant.instanceCount()) {
                changes.put(variant.variantName(), count - variant.instanceCount());
                added += Math.max(0, count - variant.instanceCount());
            }
            if (count != null) {
                next = byUser ? next.withInstanceCount(count) : next.withScaledCount(count);
            }
            updated.add(next);
        }
        if (added > 0) {
            checkInstanceLimit(added);
        }
        Deployment next = deployment.withVariants(updated);
        if (byUser) {
            testNotification(name, next);
        }
        placement.resize(stored, weights, changes, next);
    }

    /** Brings back every endpoint the store says was running, as after a restart. */
    public synchronized void restore() {
        placement.restore();
    }

    private void checkInstanceLimit(int delta) {
        if (!placement.countsInstances()) {
            return;
        }
        int running = 0;
        for (StoredEndpoint endpoint : store.endpoints()) {
            if (EndpointStatus.valueOf(endpoint.status()).runs()) {
                running += instances(Deployment.fromJson(endpoint.deployment()));
            }
        }
        if (running + delta > maxInstances) {
            throw new TandemException(
                    ErrorKind.RESOURCE_LIMIT_EXCEEDED,
                    "The account-level service limit 'instances for endpoint usage' is " + maxInstances
                            + " Instances, with current utilization of " + running
                            + " Instances and a request delta of " + delta
                            + " Instances. Delete endpoints or start the server with a larger --max-instances.");
        }
    }

    private static int instances(Deployment deployment) {
        return deployment.variants().stream()
                .mapToInt(VariantDeployment::instanceCount)
                .sum();
    }

    private Deployment deploymentOf(StoredEndpointConfig config) {
        List<VariantDeployment> variants = new ArrayList<>();
        JsonNode request = read(config.definition());
        for (JsonNode variant : request.path("ProductionVariants")) {
            StoredModel model = model(variant.path("ModelName").asText());
            Duration startup = variant.has("ContainerStartupHealthCheckTimeoutInSeconds")
                    ? Duration.ofSeconds(variant.path("ContainerStartupHealthCheckTimeoutInSeconds")
                            .asLong())
                    : defaultStartupTimeout;
            ServerlessConfig serverless =
                    variant.has("ServerlessConfig") ? Deployment.serverless(variant.get("ServerlessConfig")) : null;
            // A serverless variant's instances start on demand: none are set aside for it.
            int count = serverless != null
                    ? 0
                    : variant.path("InitialInstanceCount").asInt(1);
            variants.add(new VariantDeployment(
                    variant.path("VariantName").asText(),
                    read(model.definition()),
                    count,
                    count,
                    variant.path("InitialVariantWeight").asDouble(1.0),
                    startup,
                    serverless,
                    variant.hasNonNull("InstanceType")
                            ? variant.get("InstanceType").asText()
                            : null));
        }
        return new Deployment(variants, request.get("DataCaptureConfig"), request.get("AsyncInferenceConfig"));
    }

    /** Makes a model's exec: and file: paths absolute against {@code base}. */
    private static ObjectNode absolutePaths(ObjectNode model, Path base) {
        List<JsonNode> containers = new ArrayList<>();
        model.path("Containers").forEach(containers::add);
        model.path("ModelContainers").forEach(containers::add);
        if (model.has("PrimaryContainer")) {
            containers.add(model.get("PrimaryContainer"));
        }
        for (JsonNode node : containers) {
            if (node instanceof ObjectNode container) {
                String image = container.path("Image").asText("");
                if (image.startsWith("exec:") && !image.startsWith("exec:/")) {
                    container.put(
                            "Image", "exec:" + base.resolve(image.substring(5)).normalize());
                }
                String data = container.path("ModelDataUrl").asText("");
                if (data.startsWith("file:") && !data.startsWith("file:/")) {
                    container.put(
                            "ModelDataUrl",
                            "file:" + base.resolve(data.substring(5)).normalize());
                }
            }
        }
        return model;
    }

    private static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("stored definition is not valid JSON: " + e.getMessage(), e);
        }
    }

    /** Stops background work (creation, updates, deletion); for shutdown. */
    @Override
    public void close() {
        placement.close();
    }
}
