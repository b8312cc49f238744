package dev.tandem.kubernetes.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.kubernetes.resources.Definition;
import dev.tandem.kubernetes.resources.EndpointConfigResource;
import dev.tandem.kubernetes.resources.EndpointResource;
import dev.tandem.kubernetes.resources.EndpointSpec;
import dev.tandem.kubernetes.resources.FeatureGroupResource;
import dev.tandem.kubernetes.resources.Lifecycle;
import dev.tandem.kubernetes.resources.ModelResource;
import dev.tandem.kubernetes.resources.ResourceNames;
import dev.tandem.kubernetes.resources.TransformJobResource;
import dev.tandem.server.store.StateStore;
import dev.tandem.server.store.StoredEndpoint;
import dev.tandem.server.store.StoredEndpointConfig;
import dev.tandem.server.store.StoredFeatureGroup;
import dev.tandem.server.store.StoredModel;
import dev.tandem.server.store.StoredTransformJob;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The control plane's state kept by a Kubernetes API server, as Tandem's custom resources in one
 * namespace (their definitions: {@code crds.yaml} beside this package). Any number of gateways
 * share it: each reads from a cache fed by the API server's watch, and a write returns once this
 * gateway's cache holds it. The API server has stored it in etcd by then, so a write is durable
 * when the method returns, as {@link StateStore} asks.
 *
 * <p>Lists are in name order, as the embedded store answers them. An endpoint's and a transform job's state is their status subresource, written apart from
 * their spec; an object whose status was not yet written reads as just created ({@code Creating},
 * {@code InProgress}); an endpoint being deleted — its operator still removing what it owns —
 * reads as {@code Deleting}, and its name stays taken until it is gone.
 */
public final class KubernetesStateStore implements StateStore {
    private static final Duration CACHE_WAIT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON =
            new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private final CachedKind<ModelResource> models;
    private final CachedKind<EndpointConfigResource> endpointConfigs;
    private final CachedKind<EndpointResource> endpoints;
    private final CachedKind<TransformJobResource> transformJobs;
    private final CachedKind<FeatureGroupResource> featureGroups;
    private final @Nullable KubernetesClient ownClient;

    private KubernetesStateStore(KubernetesClient client, String namespace, boolean ownsClient) {
        this.ownClient = ownsClient ? client : null;
        this.models = kind(client, namespace, ModelResource.class);
        this.endpointConfigs = kind(client, namespace, EndpointConfigResource.class);
        this.endpoints = kind(client, namespace, EndpointResource.class);
        this.transformJobs = kind(client, namespace, TransformJobResource.class);
        this.featureGroups = kind(client, namespace, FeatureGroupResource.class);
    }

    /**
     * Opens the store in {@code namespace}, once the API server has listed every kind.
     *
     * @throws io.fabric8.kubernetes.client.KubernetesClientException when the API server is not
     *     reachable or Tandem's custom resource definitions are not installed
     */
    public static KubernetesStateStore open(KubernetesClient client, String namespace) {
        return new KubernetesStateStore(client, namespace, false);
    }

    /** As {@link #open}, the store closing {@code client} when it closes. */
    public static KubernetesStateStore owning(KubernetesClient client, String namespace) {
        try {
            return new KubernetesStateStore(client, namespace, true);
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    private static <R extends CustomResource<?, ?>> CachedKind<R> kind(
            KubernetesClient client, String namespace, Class<R> type) {
        return new CachedKind<>(client.resources(type).inNamespace(namespace), namespace, CACHE_WAIT);
    }

    // Models, endpoint configurations, feature groups: a definition, written once.

    @Override
    public boolean insertModel(StoredModel model) {
        return models.create(named(
                new ModelResource(),
                model.name(),
                definition(model.name(), model.arn(), model.definition(), model.createdAt())));
    }

    @Override
    public Optional<StoredModel> model(String name) {
        return find(models, name, ModelResource::getSpec).map(KubernetesStateStore::storedModel);
    }

    @Override
    public List<StoredModel> models() {
        return all(models, ModelResource::getSpec).stream()
                .map(KubernetesStateStore::storedModel)
                .toList();
    }

    @Override
    public boolean deleteModel(String name) {
        return model(name).isPresent() && models.delete(ResourceNames.objectName(name));
    }

    private static StoredModel storedModel(Definition spec) {
        return new StoredModel(spec.name(), spec.arn(), text(spec.definition()), Instant.parse(spec.createdAt()));
    }

    @Override
    public boolean insertEndpointConfig(StoredEndpointConfig config) {
        return endpointConfigs.create(named(
                new EndpointConfigResource(),
                config.name(),
                definition(config.name(), config.arn(), config.definition(), config.createdAt())));
    }

    @Override
    public Optional<StoredEndpointConfig> endpointConfig(String name) {
        return find(endpointConfigs, name, EndpointConfigResource::getSpec).map(KubernetesStateStore::storedConfig);
    }

    @Override
    public List<StoredEndpointConfig> endpointConfigs() {
        return all(endpointConfigs, EndpointConfigResource::getSpec).stream()
                .map(KubernetesStateStore::storedConfig)
                .toList();
    }

    @Override
    public boolean deleteEndpointConfig(String name) {
        return endpointConfig(name).isPresent() && endpointConfigs.delete(ResourceNames.objectName(name));
    }

    private static StoredEndpointConfig storedConfig(Definition spec) {
        return new StoredEndpointConfig(
                spec.name(), spec.arn(), text(spec.definition()), Instant.parse(spec.createdAt()));
    }

    @Override
    public boolean insertFeatureGroup(StoredFeatureGroup group) {
        return featureGroups.create(named(
                new FeatureGroupResource(),
                group.name(),
                definition(group.name(), group.arn(), group.definition(), group.createdAt())));
    }

    @Override
    public void updateFeatureGroup(StoredFeatureGroup group) {
        Definition spec = definition(group.name(), group.arn(), group.definition(), group.createdAt());
        requireExisting(
                featureGroups.edit(ResourceNames.objectName(group.name()), resource -> {
                    resource.setSpec(spec);
                    return resource;
                }),
                "feature group",
                group.name());
    }

    @Override
    public List<StoredFeatureGroup> featureGroups() {
        return all(featureGroups, FeatureGroupResource::getSpec).stream()
                .map(spec -> new StoredFeatureGroup(
                        spec.name(), spec.arn(), text(spec.definition()), Instant.parse(spec.createdAt())))
                .toList();
    }

    @Override
    public boolean deleteFeatureGroup(String name) {
        return find(featureGroups, name, FeatureGroupResource::getSpec).isPresent()
                && featureGroups.delete(ResourceNames.objectName(name));
    }

    // Endpoints: what they run as spec, their state as status.

    @Override
    public boolean insertEndpoint(StoredEndpoint endpoint) {
        EndpointResource resource = named(
                new EndpointResource(),
                endpoint.name(),
                new EndpointSpec(
                        endpoint.name(),
                        endpoint.arn(),
                        endpoint.configName(),
                        tree(endpoint.deployment()),
                        endpoint.createdAt().toString()));
        if (!endpoints.create(resource)) {
            return false;
        }
        writeStatus(endpoint);
        return true;
    }

    /**
     * Writes the status first, then the spec: a changed spec is what makes the operator reconcile
     * (status changes do not), so its reconciliation — which may find the new revision ready and
     * write {@code InService} — always comes after this write, never before it.
     */
    @Override
    public void updateEndpoint(StoredEndpoint endpoint) {
        String objectName = ResourceNames.objectName(endpoint.name());
        EndpointResource current = endpoints
                .get(objectName)
                .orElseThrow(() -> new IllegalStateException("no endpoint " + endpoint.name() + " to update"));
        writeStatus(endpoint);
        if (!current.getSpec().configName().equals(endpoint.configName())
                || !current.getSpec().deployment().equals(tree(endpoint.deployment()))) {
            EndpointSpec spec = new EndpointSpec(
                    endpoint.name(),
                    endpoint.arn(),
                    endpoint.configName(),
                    tree(endpoint.deployment()),
                    endpoint.createdAt().toString());
            requireExisting(
                    endpoints.edit(objectName, resource -> {
                        resource.setSpec(spec);
                        return resource;
                    }),
                    "endpoint",
                    endpoint.name());
        }
    }

    private void writeStatus(StoredEndpoint endpoint) {
        Lifecycle status = new Lifecycle(
                endpoint.status(),
                endpoint.failureReason(),
                null,
                null,
                endpoint.lastModifiedAt().toString());
        requireExisting(
                endpoints.editStatus(ResourceNames.objectName(endpoint.name()), resource -> {
                    // What last served is the operator's to record; a gateway's write keeps it.
                    resource.setStatus(status.keepingServed(resource.getStatus()));
                    return resource;
                }),
                "endpoint",
                endpoint.name());
    }

    /** Runs {@code listener} after each change of an endpoint, whoever made it, on the watch's thread. */
    public void onEndpointChange(Runnable listener) {
        endpoints.onChange(listener);
    }

    @Override
    public Optional<StoredEndpoint> endpoint(String name) {
        return endpoints
                .get(ResourceNames.objectName(name))
                .filter(resource -> resource.getSpec().name().equals(name))
                .map(KubernetesStateStore::storedEndpoint);
    }

    @Override
    public List<StoredEndpoint> endpoints() {
        return endpoints.all().stream()
                .map(KubernetesStateStore::storedEndpoint)
                .sorted(Comparator.comparing(StoredEndpoint::name))
                .toList();
    }

    @Override
    public boolean deleteEndpoint(String name) {
        return endpoint(name).isPresent() && endpoints.delete(ResourceNames.objectName(name));
    }

    private static StoredEndpoint storedEndpoint(EndpointResource resource) {
        EndpointSpec spec = resource.getSpec();
        Instant createdAt = Instant.parse(spec.createdAt());
        Lifecycle status = resource.getStatus();
        boolean deleting = resource.getMetadata().getDeletionTimestamp() != null;
        return new StoredEndpoint(
                spec.name(),
                spec.arn(),
                spec.configName(),
                text(spec.deployment()),
                deleting ? "Deleting" : status == null ? "Creating" : status.status(),
                status == null ? null : status.failureReason(),
                createdAt,
                status == null ? createdAt : Instant.parse(status.lastModifiedAt()));
    }

    // Transform jobs: the definition as spec, the progress as status.

    @Override
    public boolean insertTransformJob(StoredTransformJob job) {
        TransformJobResource resource = named(
                new TransformJobResource(),
                job.name(),
                definition(job.name(), job.arn(), job.definition(), job.createdAt()));
        if (!transformJobs.create(resource)) {
            return false;
        }
        updateTransformJob(job);
        return true;
    }

    @Override
    public void updateTransformJob(StoredTransformJob job) {
        Lifecycle status = new Lifecycle(
                job.status(),
                job.failureReason(),
                job.startedAt() == null ? null : job.startedAt().toString(),
                job.endedAt() == null ? null : job.endedAt().toString(),
                job.lastModifiedAt().toString());
        requireExisting(
                transformJobs.editStatus(ResourceNames.objectName(job.name()), resource -> {
                    resource.setStatus(status);
                    return resource;
                }),
                "transform job",
                job.name());
    }

    @Override
    public Optional<StoredTransformJob> transformJob(String name) {
        return transformJobs
                .get(ResourceNames.objectName(name))
                .filter(resource -> resource.getSpec().name().equals(name))
                .map(KubernetesStateStore::storedJob);
    }

    @Override
    public List<StoredTransformJob> transformJobs() {
        return transformJobs.all().stream()
                .map(KubernetesStateStore::storedJob)
                .sorted(Comparator.comparing(StoredTransformJob::name))
                .toList();
    }

    private static StoredTransformJob storedJob(TransformJobResource resource) {
        Definition spec = resource.getSpec();
        Instant createdAt = Instant.parse(spec.createdAt());
        Lifecycle status = resource.getStatus();
        return new StoredTransformJob(
                spec.name(),
                spec.arn(),
                text(spec.definition()),
                status == null ? "InProgress" : status.status(),
                status == null ? null : status.failureReason(),
                createdAt,
                status == null ? null : instant(status.startedAt()),
                status == null ? null : instant(status.endedAt()),
                status == null ? createdAt : Instant.parse(status.lastModifiedAt()));
    }

    // What the kinds share.

    private static <R extends CustomResource<S, ?>, S> R named(R resource, String name, S spec) {
        resource.setMetadata(new ObjectMetaBuilder()
                .withName(ResourceNames.objectName(name))
                .withLabels(Map.of("app.kubernetes.io/managed-by", "tandem"))
                .build());
        resource.setSpec(spec);
        return resource;
    }

    private static Definition definition(String name, String arn, String json, Instant createdAt) {
        return new Definition(name, arn, tree(json), createdAt.toString());
    }

    /** The spec of {@code name}, when the object its name maps to is that resource's. */
    private static <R extends HasMetadata> Optional<Definition> find(
            CachedKind<R> kind, String name, Function<R, Definition> spec) {
        return kind.get(ResourceNames.objectName(name)).map(spec).filter(found -> found.name()
                .equals(name));
    }

    private static <R extends HasMetadata> List<Definition> all(CachedKind<R> kind, Function<R, Definition> spec) {
        return kind.all().stream()
                .map(spec)
                .sorted(Comparator.comparing(Definition::name))
                .toList();
    }

    private static void requireExisting(boolean written, String what, String name) {
        if (!written) {
            throw new IllegalStateException("the " + what + " " + name + " was deleted while being updated");
        }
    }

    private static JsonNode tree(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("stored JSON is not valid: " + e.getOriginalMessage(), e);
        }
    }

    private static String text(JsonNode tree) {
        try {
            return JSON.writeValueAsString(tree);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static @Nullable Instant instant(@Nullable String text) {
        return text == null ? null : Instant.parse(text);
    }

    @Override
    public void close() {
        models.close();
        endpointConfigs.close();
        endpoints.close();
        transformJobs.close();
        featureGroups.close();
        if (ownClient != null) {
            ownClient.close();
        }
    }
}
