package dev.tandem.kubernetes;

import dev.tandem.kubernetes.resources.ResourceNames;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** The Kubernetes manifests that install Tandem in a cluster, as YAML. */
public final class Manifests {
    /** The name of the operator's Deployment, service account, role and leader-election lease. */
    public static final String OPERATOR = "tandem-operator";

    /** The name of the gateways' Deployment, Service, service account and role. */
    public static final String GATEWAY = "tandem-gateway";

    /**
     * The Secret the gateways read their access keys from (keys {@code access-key-id} and {@code
     * secret-access-key}): reachable beyond loopback, they answer only signed requests.
     */
    public static final String ACCESS_KEYS = "tandem-access-keys";

    /** Where a gateway listens in its pod, and the port of its Service. */
    public static final int GATEWAY_PORT = 8080;

    private static final Map<String, String> LABELS = labels(OPERATOR);
    private static final Map<String, String> GATEWAY_LABELS = labels(GATEWAY);

    private Manifests() {}

    /** The definitions of Tandem's custom resources: SageMaker's models, endpoints and the rest. */
    public static String customResourceDefinitions() {
        return resource("crds.yaml");
    }

    /**
     * Everything a cluster needs to run Tandem's endpoints in {@code namespace}: the custom resource
     * definitions, the namespace; the operator — its service account, what it may touch (only in
     * that namespace), and its Deployment, which runs {@code image} and gives instances the same; and
     * the gateways — their service account and role, their Deployment and the Service clients reach
     * them at.
     */
    public static String install(String image, String namespace) {
        KubernetesSerialization yaml = new KubernetesSerialization();
        StringBuilder out = new StringBuilder(customResourceDefinitions());
        List<HasMetadata> resources = new java.util.ArrayList<>(operator(image, namespace));
        resources.addAll(gateway(image, namespace));
        for (HasMetadata resource : resources) {
            out.append("---\n").append(yaml.asYaml(resource).replaceFirst("^---\n", ""));
        }
        return out.toString();
    }

    /**
     * The gateways: they keep SageMaker's resources (Tandem's custom resources, nothing else) and
     * read where the instances are ready (EndpointSlices); they start nothing, so they may not touch
     * Deployments, Services or pods.
     */
    static List<HasMetadata> gateway(String image, String namespace) {
        return List.of(
                new ServiceAccountBuilder()
                        .withNewMetadata()
                        .withName(GATEWAY)
                        .withNamespace(namespace)
                        .withLabels(GATEWAY_LABELS)
                        .endMetadata()
                        .build(),
                new RoleBuilder()
                        .withNewMetadata()
                        .withName(GATEWAY)
                        .withNamespace(namespace)
                        .withLabels(GATEWAY_LABELS)
                        .endMetadata()
                        .withRules(
                                rule(ResourceNames.GROUP, List.of("*"), List.of("*")),
                                rule("discovery.k8s.io", List.of("endpointslices"), List.of("get", "list", "watch")))
                        .build(),
                binding(GATEWAY, namespace, GATEWAY_LABELS),
                new DeploymentBuilder()
                        .withNewMetadata()
                        .withName(GATEWAY)
                        .withNamespace(namespace)
                        .withLabels(GATEWAY_LABELS)
                        .endMetadata()
                        .withNewSpec()
                        // Stateless: any number serve the same endpoints; two for a rolling restart.
                        .withReplicas(2)
                        .withNewSelector()
                        .withMatchLabels(GATEWAY_LABELS)
                        .endSelector()
                        .withNewTemplate()
                        .withNewMetadata()
                        .withLabels(GATEWAY_LABELS)
                        .endMetadata()
                        .withNewSpec()
                        .withServiceAccountName(GATEWAY)
                        .addNewContainer()
                        .withName("gateway")
                        .withImage(image)
                        .withArgs(List.of(
                                "serve",
                                "--kubernetes",
                                "--host",
                                "0.0.0.0",
                                "--port",
                                Integer.toString(GATEWAY_PORT),
                                "--data-dir",
                                "/tmp/tandem"))
                        .addNewPort()
                        .withName("http")
                        .withContainerPort(GATEWAY_PORT)
                        .withProtocol("TCP")
                        .endPort()
                        .withEnv(
                                namespaceEnv(),
                                secretEnv("TANDEM_ACCESS_KEY_ID", "access-key-id"),
                                secretEnv("TANDEM_SECRET_ACCESS_KEY", "secret-access-key"))
                        .withNewReadinessProbe()
                        .withNewHttpGet()
                        .withPath("/ping")
                        .withPort(new IntOrString(GATEWAY_PORT))
                        .endHttpGet()
                        .withPeriodSeconds(2)
                        .endReadinessProbe()
                        .endContainer()
                        .endSpec()
                        .endTemplate()
                        .endSpec()
                        .build(),
                new ServiceBuilder()
                        .withNewMetadata()
                        .withName(GATEWAY)
                        .withNamespace(namespace)
                        .withLabels(GATEWAY_LABELS)
                        .endMetadata()
                        .withNewSpec()
                        .withSelector(GATEWAY_LABELS)
                        .addNewPort()
                        .withName("http")
                        .withPort(GATEWAY_PORT)
                        .withProtocol("TCP")
                        .withTargetPort(new IntOrString(GATEWAY_PORT))
                        .endPort()
                        .endSpec()
                        .build());
    }

    static List<HasMetadata> operator(String image, String namespace) {
        return List.of(
                new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(namespace)
                        .withLabels(Map.of("app.kubernetes.io/part-of", "tandem"))
                        .endMetadata()
                        .build(),
                new ServiceAccountBuilder()
                        .withNewMetadata()
                        .withName(OPERATOR)
                        .withNamespace(namespace)
                        .withLabels(LABELS)
                        .endMetadata()
                        .build(),
                new RoleBuilder()
                        .withNewMetadata()
                        .withName(OPERATOR)
                        .withNamespace(namespace)
                        .withLabels(LABELS)
                        .endMetadata()
                        .withRules(
                                rule(ResourceNames.GROUP, List.of("*"), List.of("*")),
                                rule(
                                        "apps",
                                        List.of("deployments"),
                                        List.of("get", "list", "watch", "create", "patch", "update", "delete")),
                                rule(
                                        "",
                                        List.of("services", "configmaps"),
                                        List.of("get", "list", "watch", "create", "patch", "update", "delete")),
                                rule("", List.of("endpoints", "pods"), List.of("get", "list", "watch")),
                                rule("", List.of("events"), List.of("create", "patch")),
                                rule(
                                        "coordination.k8s.io",
                                        List.of("leases"),
                                        List.of("get", "list", "watch", "create", "update", "patch")))
                        .build(),
                binding(OPERATOR, namespace, LABELS),
                new DeploymentBuilder()
                        .withNewMetadata()
                        .withName(OPERATOR)
                        .withNamespace(namespace)
                        .withLabels(LABELS)
                        .endMetadata()
                        .withNewSpec()
                        // Two, for a quick hand-over: one leads (a Lease), the other waits.
                        .withReplicas(2)
                        .withNewSelector()
                        .withMatchLabels(LABELS)
                        .endSelector()
                        .withNewTemplate()
                        .withNewMetadata()
                        .withLabels(LABELS)
                        .endMetadata()
                        .withNewSpec()
                        .withServiceAccountName(OPERATOR)
                        .addNewContainer()
                        .withName("operator")
                        .withImage(image)
                        .withArgs(List.of("kubernetes", "operator", "--instance-image", image))
                        .withEnv(namespaceEnv())
                        .endContainer()
                        .endSpec()
                        .endTemplate()
                        .endSpec()
                        .build());
    }

    private static Map<String, String> labels(String name) {
        return Map.of("app.kubernetes.io/name", name, "app.kubernetes.io/part-of", "tandem");
    }

    /** Binds the role {@code name} to the service account of the same name. */
    private static HasMetadata binding(String name, String namespace, Map<String, String> labels) {
        return new RoleBindingBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace)
                .withLabels(labels)
                .endMetadata()
                .withNewRoleRef()
                .withApiGroup("rbac.authorization.k8s.io")
                .withKind("Role")
                .withName(name)
                .endRoleRef()
                .addNewSubject()
                .withKind("ServiceAccount")
                .withName(name)
                .withNamespace(namespace)
                .endSubject()
                .build();
    }

    /** The namespace the pod runs in, where Tandem keeps its resources: {@code TANDEM_NAMESPACE}. */
    private static EnvVar namespaceEnv() {
        return new EnvVarBuilder()
                .withName("TANDEM_NAMESPACE")
                .withNewValueFrom()
                .withNewFieldRef()
                .withFieldPath("metadata.namespace")
                .endFieldRef()
                .endValueFrom()
                .build();
    }

    private static EnvVar secretEnv(String name, String key) {
        return new EnvVarBuilder()
                .withName(name)
                .withNewValueFrom()
                .withNewSecretKeyRef()
                .withName(ACCESS_KEYS)
                .withKey(key)
                .endSecretKeyRef()
                .endValueFrom()
                .build();
    }

    private static io.fabric8.kubernetes.api.model.rbac.PolicyRule rule(
            String group, List<String> resources, List<String> verbs) {
        return new PolicyRuleBuilder()
                .withApiGroups(group)
                .withResources(resources)
                .withVerbs(verbs)
                .build();
    }

    private static String resource(String name) {
        try (InputStream in = Manifests.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is missing from Tandem's jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
