package dev.tandem.kubernetes.operator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tandem.kubernetes.resources.EndpointResource;
import dev.tandem.kubernetes.resources.EndpointSpec;
import dev.tandem.kubernetes.resources.Lifecycle;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes each SageMaker endpoint run: for every production variant, a Deployment of instance pods
 * ({@code InitialInstanceCount} replicas) and a Service in front of them; reports the endpoint's
 * status from those Deployments.
 *
 * <ul>
 *   <li>A changed instance count scales the variant's Deployment.
 *   <li>A changed model is a new revision, deployed blue/green: a second Deployment beside the one
 *       serving; the variant's Service switches to it once all its instances are ready, and the old
 *       one is removed. Until then the old revision serves every request.
 *   <li>Status: {@code InService} once every variant serves its current revision with all its
 *       instances ready; {@code Creating} or {@code Updating} in between. A rollout that cannot
 *       progress (its deadline passed, or pods cannot be created) fails a new endpoint — {@code
 *       Failed}, with the Deployment's own message — and rolls an update back, as SageMaker does:
 *       the configuration that served comes back, {@code InService}, with {@code Update failed:}
 *       and the message as its FailureReason.
 *   <li>Deleting the endpoint deletes what it owns (owner references, and explicitly, so that a
 *       cluster without a garbage collector is left clean too).
 * </ul>
 */
@ControllerConfiguration(name = "sagemaker-endpoints")
public final class EndpointReconciler implements Reconciler<EndpointResource>, Cleaner<EndpointResource> {
    private static final Logger LOG = LoggerFactory.getLogger(EndpointReconciler.class);
    private static final String FIELD_MANAGER = "tandem-operator";

    private final InstanceTemplate template;
    private final Clock clock;

    /**
     * @param image Tandem's image, run as each instance
     * @param port where instances listen
     * @param types what an instance's pod requests, by instance type
     */
    public EndpointReconciler(String image, int port, InstanceTypes types, Clock clock) {
        this.template = new InstanceTemplate(image, port, types);
        this.clock = clock;
    }

    @Override
    public List<EventSource<?, EndpointResource>> prepareEventSources(EventSourceContext<EndpointResource> context) {
        // A Deployment's status changing (instances becoming ready) is what moves an endpoint on.
        InformerEventSource<Deployment, EndpointResource> deployments = new InformerEventSource<>(
                InformerEventSourceConfiguration.from(Deployment.class, EndpointResource.class)
                        .withLabelSelector(InstanceTemplate.MANAGED_BY + "=tandem")
                        .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(EndpointResource.class))
                        .build(),
                context);
        return List.of(deployments);
    }

    @Override
    public UpdateControl<EndpointResource> reconcile(EndpointResource endpoint, Context<EndpointResource> context) {
        KubernetesClient client = context.getClient();
        String namespace = endpoint.getMetadata().getNamespace();
        List<VariantPlan> plans = VariantPlan.of(endpoint);
        List<String> failures = new ArrayList<>();
        boolean allServing = true;
        for (VariantPlan plan : plans) {
            apply(client, template.configMap(plan, endpoint));
            Deployment deployment = apply(client, template.deployment(plan, endpoint));
            boolean ready = ready(deployment);
            String serving = servingRevision(client, namespace, plan);
            if (serving == null || ready) {
                // A new variant routes to its first revision at once; a rollout switches when ready.
                apply(client, template.service(plan, plan.revision(), endpoint));
                serving = plan.revision();
            }
            if (ready && serving.equals(plan.revision())) {
                removeOtherRevisions(client, namespace, plan);
            } else {
                allServing = false;
            }
            String failure = failure(deployment);
            if (failure != null) {
                failures.add("Variant " + plan.variantName() + ": " + failure);
            }
        }
        removeDroppedVariants(client, namespace, endpoint, plans);
        Lifecycle previous = endpoint.getStatus();
        if (!failures.isEmpty() && canRollBack(endpoint, previous)) {
            return rollBack(client, endpoint, Objects.requireNonNull(previous), String.join("; ", failures));
        }
        String status = status(endpoint, failures, allServing);
        String reason = failures.isEmpty() ? null : String.join("; ", failures);
        if (reason == null
                && status.equals("InService")
                && previous != null
                && previous.status().equals("InService")
                && previous.failureReason() != null
                && previous.failureReason().startsWith(UPDATE_FAILED)) {
            // An update that was rolled back says so until the next change, as SageMaker's does.
            reason = previous.failureReason();
        }
        return withStatus(endpoint, status, reason);
    }

    private static final String UPDATE_FAILED = "Update failed: ";

    /** Whether an update is failing while the deployment before it served in full: it can go back. */
    private static boolean canRollBack(EndpointResource endpoint, @Nullable Lifecycle previous) {
        return previous != null
                && previous.servedDeployment() != null
                && previous.servedConfigName() != null
                && !previous.servedDeployment().equals(endpoint.getSpec().deployment());
    }

    /**
     * SageMaker's rollback of an update that fails: the endpoint goes back to the configuration
     * that served — its spec too, so that every gateway routes to it again and DescribeEndpoint names
     * it — stays InService, and says why in FailureReason. The next reconciliation finds the old
     * revision serving and removes the one that failed.
     */
    private UpdateControl<EndpointResource> rollBack(
            KubernetesClient client, EndpointResource endpoint, Lifecycle previous, String failure) {
        EndpointSpec spec = endpoint.getSpec();
        String configName = Objects.requireNonNull(previous.servedConfigName());
        JsonNode deployment = Objects.requireNonNull(previous.servedDeployment());
        LOG.warn(
                "Endpoint {}: update to {} failed, rolling back to {}: {}",
                spec.name(),
                spec.configName(),
                configName,
                failure);
        EndpointSpec served = new EndpointSpec(spec.name(), spec.arn(), configName, deployment, spec.createdAt());
        Lifecycle rolledBack = new Lifecycle(
                "InService",
                UPDATE_FAILED + failure,
                null,
                null,
                clock.instant().toString(),
                configName,
                deployment);
        // The status first: the change of spec that follows starts the next reconciliation, which
        // must find the update's failure already written.
        var resource = client.resources(EndpointResource.class)
                .inNamespace(endpoint.getMetadata().getNamespace())
                .withName(endpoint.getMetadata().getName());
        resource.editStatus(current -> {
            current.setStatus(rolledBack);
            return current;
        });
        resource.edit(current -> {
            current.setSpec(served);
            return current;
        });
        return UpdateControl.noUpdate();
    }

    private static String status(EndpointResource endpoint, List<String> failures, boolean allServing) {
        if (!failures.isEmpty()) {
            return "Failed";
        }
        if (allServing) {
            return "InService";
        }
        Lifecycle previous = endpoint.getStatus();
        boolean servedBefore = previous != null
                && (previous.status().equals("InService") || previous.status().equals("Updating"));
        return servedBefore ? "Updating" : "Creating";
    }

    /** Writes the status when it changed; an unchanged one is left alone, so nothing loops. */
    private UpdateControl<EndpointResource> withStatus(
            EndpointResource endpoint, String status, @Nullable String reason) {
        Lifecycle previous = endpoint.getStatus();
        // In service in full: what it runs is what an update that fails comes back to.
        EndpointSpec spec = endpoint.getSpec();
        Lifecycle next = status.equals("InService")
                ? new Lifecycle(
                        status, reason, null, null, clock.instant().toString(), spec.configName(), spec.deployment())
                : new Lifecycle(status, reason, null, null, clock.instant().toString()).keepingServed(previous);
        if (previous != null
                && previous.status().equals(status)
                && Objects.equals(previous.failureReason(), reason)
                && Objects.equals(previous.servedDeployment(), next.servedDeployment())
                && Objects.equals(previous.servedConfigName(), next.servedConfigName())) {
            return UpdateControl.noUpdate();
        }
        LOG.info(
                "Endpoint {}: {} -> {}{}",
                endpoint.getSpec().name(),
                previous == null ? "(none)" : previous.status(),
                status,
                reason == null ? "" : " (" + reason + ")");
        endpoint.setStatus(next);
        return UpdateControl.patchStatus(endpoint);
    }

    /** Whether every instance of the Deployment's current spec is ready. */
    static boolean ready(Deployment deployment) {
        DeploymentStatus status = deployment.getStatus();
        int wanted = Optional.ofNullable(deployment.getSpec().getReplicas()).orElse(1);
        return status != null
                && status.getObservedGeneration() != null
                && status.getObservedGeneration() >= deployment.getMetadata().getGeneration()
                && Optional.ofNullable(status.getUpdatedReplicas()).orElse(0) >= wanted
                && Optional.ofNullable(status.getAvailableReplicas()).orElse(0) >= wanted;
    }

    /** Why the Deployment cannot progress, in Kubernetes' own words; null while it can. */
    static @Nullable String failure(Deployment deployment) {
        DeploymentStatus status = deployment.getStatus();
        if (status == null || status.getConditions() == null) {
            return null;
        }
        for (DeploymentCondition condition : status.getConditions()) {
            boolean deadline = condition.getType().equals("Progressing")
                    && condition.getStatus().equals("False")
                    && "ProgressDeadlineExceeded".equals(condition.getReason());
            boolean replicaFailure = condition.getType().equals("ReplicaFailure")
                    && condition.getStatus().equals("True");
            if (deadline || replicaFailure) {
                return condition.getReason() + ": " + condition.getMessage();
            }
        }
        return null;
    }

    private static @Nullable String servingRevision(KubernetesClient client, String namespace, VariantPlan plan) {
        Service service = client.services()
                .inNamespace(namespace)
                .withName(plan.service())
                .get();
        if (service == null || service.getSpec().getSelector() == null) {
            return null;
        }
        return service.getSpec().getSelector().get(InstanceTemplate.REVISION);
    }

    private static void removeOtherRevisions(KubernetesClient client, String namespace, VariantPlan plan) {
        for (Deployment old : client.apps()
                .deployments()
                .inNamespace(namespace)
                .withLabels(InstanceTemplate.variantLabels(plan))
                .list()
                .getItems()) {
            if (!plan.revision().equals(old.getMetadata().getLabels().get(InstanceTemplate.REVISION))) {
                client.resource(old).delete();
            }
        }
        for (ConfigMap old : client.configMaps()
                .inNamespace(namespace)
                .withLabels(InstanceTemplate.variantLabels(plan))
                .list()
                .getItems()) {
            if (!plan.revision().equals(old.getMetadata().getLabels().get(InstanceTemplate.REVISION))) {
                client.resource(old).delete();
            }
        }
    }

    /** What remains of variants the endpoint no longer has (an UpdateEndpoint that dropped one). */
    private static void removeDroppedVariants(
            KubernetesClient client, String namespace, EndpointResource endpoint, List<VariantPlan> plans) {
        Set<String> kept = plans.stream().map(VariantPlan::variantLabel).collect(Collectors.toSet());
        for (HasMetadata owned : owned(client, namespace, endpoint)) {
            if (!kept.contains(owned.getMetadata().getLabels().get(InstanceTemplate.VARIANT))) {
                client.resource(owned).delete();
            }
        }
    }

    @Override
    public DeleteControl cleanup(EndpointResource endpoint, Context<EndpointResource> context) {
        KubernetesClient client = context.getClient();
        for (HasMetadata owned : owned(client, endpoint.getMetadata().getNamespace(), endpoint)) {
            client.resource(owned).delete();
        }
        return DeleteControl.defaultDelete();
    }

    private static List<HasMetadata> owned(KubernetesClient client, String namespace, EndpointResource endpoint) {
        String label = VariantPlan.endpointLabel(endpoint);
        List<HasMetadata> owned = new ArrayList<>();
        owned.addAll(client.apps()
                .deployments()
                .inNamespace(namespace)
                .withLabel(InstanceTemplate.ENDPOINT, label)
                .list()
                .getItems());
        owned.addAll(client.services()
                .inNamespace(namespace)
                .withLabel(InstanceTemplate.ENDPOINT, label)
                .list()
                .getItems());
        owned.addAll(client.configMaps()
                .inNamespace(namespace)
                .withLabel(InstanceTemplate.ENDPOINT, label)
                .list()
                .getItems());
        return owned;
    }

    private static <T extends HasMetadata> T apply(KubernetesClient client, T resource) {
        return client.resource(resource)
                .fieldManager(FIELD_MANAGER)
                .forceConflicts()
                .serverSideApply();
    }
}
