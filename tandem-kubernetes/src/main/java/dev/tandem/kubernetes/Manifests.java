package dev.tandem.kubernetes;

import dev.tandem.kubernetes.resources.ResourceNames;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
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

    private static final Map<String, String> LABELS =
            Map.of("app.kubernetes.io/name", OPERATOR, "app.kubernetes.io/part-of", "tandem");

    private Manifests() {}

    /** The definitions of Tandem's custom resources: SageMaker's models, endpoints and the rest. */
    public static String customResourceDefinitions() {
        return resource("crds.yaml");
    }

    /**
     * Everything a cluster needs to run Tandem's endpoints in {@code namespace}: the custom resource
     * definitions, the namespace, and the operator — its service account, what it may touch (only in
     * that namespace), and its Deployment, which runs {@code image} and gives instances the same.
     */
    public static String install(String image, String namespace) {
        KubernetesSerialization yaml = new KubernetesSerialization();
        StringBuilder out = new StringBuilder(customResourceDefinitions());
        for (HasMetadata resource : operator(image, namespace)) {
            out.append("---\n").append(yaml.asYaml(resource).replaceFirst("^---\n", ""));
        }
        return out.toString();
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
                new RoleBindingBuilder()
                        .withNewMetadata()
                        .withName(OPERATOR)
                        .withNamespace(namespace)
                        .withLabels(LABELS)
                        .endMetadata()
                        .withNewRoleRef()
                        .withApiGroup("rbac.authorization.k8s.io")
                        .withKind("Role")
                        .withName(OPERATOR)
                        .endRoleRef()
                        .addNewSubject()
                        .withKind("ServiceAccount")
                        .withName(OPERATOR)
                        .withNamespace(namespace)
                        .endSubject()
                        .build(),
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
                        .addNewEnv()
                        .withName("TANDEM_NAMESPACE")
                        .withNewValueFrom()
                        .withNewFieldRef()
                        .withFieldPath("metadata.namespace")
                        .endFieldRef()
                        .endValueFrom()
                        .endEnv()
                        .endContainer()
                        .endSpec()
                        .endTemplate()
                        .endSpec()
                        .build());
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
