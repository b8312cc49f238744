package dev.tandem.kubernetes.operator;

import dev.tandem.kubernetes.resources.EndpointResource;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import java.util.List;
import java.util.Map;

/**
 * What the operator creates for one variant's revision: a ConfigMap holding its pipeline, a
 * Deployment of {@code tandem instance} pods that serve it, and the variant's Service. Each is owned
 * by the endpoint's resource, so deleting the endpoint deletes them too.
 *
 * <p>A pod is exactly SageMaker's instance: all the pipeline's containers on one machine — its
 * builtin stages inside the Tandem process, its exec programs beside it, its container images as
 * sidecars on the pod's localhost ({@link ImageSidecars}).
 *
 * @param image Tandem's image, whose entry point is the {@code tandem} command
 * @param port where an instance listens
 * @param types what a pod requests, by instance type
 */
record InstanceTemplate(String image, int port, InstanceTypes types) {
    static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    static final String ENDPOINT = "sagemaker.tandem.dev/endpoint";
    static final String VARIANT = "sagemaker.tandem.dev/variant";
    static final String REVISION = "sagemaker.tandem.dev/revision";
    static final String VARIANT_NAME = "sagemaker.tandem.dev/variant-name";
    static final String PIPELINE_FILE = "pipeline.json";
    private static final String PIPELINE_FOLDER = "/etc/tandem";

    ConfigMap configMap(VariantPlan plan, EndpointResource owner) {
        return new ConfigMapBuilder()
                .withMetadata(metadata(plan.deployment(), revisionLabels(plan), plan, owner))
                .withData(Map.of(
                        PIPELINE_FILE,
                        ImageSidecars.of(plan.model(), image).pipeline().toString()))
                .build();
    }

    Deployment deployment(VariantPlan plan, EndpointResource owner) {
        Map<String, String> labels = revisionLabels(plan);
        ImageSidecars images = ImageSidecars.of(plan.model(), image);
        return new DeploymentBuilder()
                .withMetadata(metadata(plan.deployment(), labels, plan, owner))
                .withNewSpec()
                .withReplicas(plan.instances())
                .withNewSelector()
                .withMatchLabels(labels)
                .endSelector()
                .withNewTemplate()
                .withNewMetadata()
                .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("instance")
                .withImage(image)
                .withResources(types.resources(plan.instanceType()))
                .withArgs(List.of(
                        "instance",
                        PIPELINE_FOLDER + "/" + PIPELINE_FILE,
                        "--port",
                        Integer.toString(port),
                        "--data-dir",
                        "/tmp/tandem"))
                // Server-side apply keys ports by port and protocol: the protocol must be given.
                .addNewPort()
                .withName("http")
                .withContainerPort(port)
                .withProtocol("TCP")
                .endPort()
                // Ready once every container of the pipeline is: no request reaches it before.
                .withNewReadinessProbe()
                .withNewHttpGet()
                .withPath("/ping")
                .withPort(new IntOrString(port))
                .endHttpGet()
                .withPeriodSeconds(2)
                .endReadinessProbe()
                .addNewVolumeMount()
                .withName("pipeline")
                .withMountPath(PIPELINE_FOLDER)
                .withReadOnly(true)
                .endVolumeMount()
                .endContainer()
                .addNewVolume()
                .withName("pipeline")
                .withNewConfigMap()
                .withName(plan.deployment())
                .endConfigMap()
                .endVolume()
                // The pipeline's container images, beside the instance: SageMaker's one instance.
                .addAllToContainers(images.sidecars())
                .addAllToInitContainers(images.initContainers())
                .addAllToVolumes(images.volumes())
                .endSpec()
                .endTemplate()
                .endSpec()
                .build();
    }

    /** The variant's Service, routing to the pods of {@code revision}. */
    Service service(VariantPlan plan, String revision, EndpointResource owner) {
        return new ServiceBuilder()
                .withMetadata(metadata(plan.service(), variantLabels(plan), plan, owner))
                .withNewSpec()
                .withSelector(Map.of(ENDPOINT, plan.endpointLabel(), VARIANT, plan.variantLabel(), REVISION, revision))
                .addNewPort()
                .withName("http")
                .withPort(port)
                .withProtocol("TCP")
                .withTargetPort(new IntOrString(port))
                .endPort()
                .endSpec()
                .build();
    }

    static Map<String, String> variantLabels(VariantPlan plan) {
        return Map.of(MANAGED_BY, "tandem", ENDPOINT, plan.endpointLabel(), VARIANT, plan.variantLabel());
    }

    private static Map<String, String> revisionLabels(VariantPlan plan) {
        return Map.of(
                MANAGED_BY,
                "tandem",
                ENDPOINT,
                plan.endpointLabel(),
                VARIANT,
                plan.variantLabel(),
                REVISION,
                plan.revision());
    }

    private static ObjectMeta metadata(
            String name, Map<String, String> labels, VariantPlan plan, EndpointResource owner) {
        return new ObjectMetaBuilder()
                .withName(name)
                .withNamespace(owner.getMetadata().getNamespace())
                .withLabels(labels)
                .withAnnotations(Map.of(VARIANT_NAME, plan.variantName()))
                .withOwnerReferences(ownedBy(owner))
                .build();
    }

    private static OwnerReference ownedBy(HasMetadata owner) {
        return new OwnerReferenceBuilder()
                .withApiVersion(owner.getApiVersion())
                .withKind(owner.getKind())
                .withName(owner.getMetadata().getName())
                .withUid(owner.getMetadata().getUid())
                .withController(true)
                .withBlockOwnerDeletion(true)
                .build();
    }
}
