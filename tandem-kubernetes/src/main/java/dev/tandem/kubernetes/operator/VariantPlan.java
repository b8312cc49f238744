package dev.tandem.kubernetes.operator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tandem.kubernetes.resources.EndpointResource;
import dev.tandem.kubernetes.resources.ResourceNames;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One production variant of an endpoint as the operator runs it: its model (a CreateModel body),
 * how many instances, and its revision — a hash of the model, so that a changed model is a new
 * revision, rolled out blue/green beside the old, while a changed instance count scales the
 * revision that runs.
 *
 * @param variantName SageMaker's name for it
 * @param service the Service that routes to its ready instances: {@code endpoint-variant}
 * @param revision the model's hash, and its instance type's when it names one
 * @param instanceType the SageMaker instance type its pods are sized by, or null
 */
record VariantPlan(
        String endpointLabel,
        String variantName,
        String variantLabel,
        JsonNode model,
        int instances,
        double weight,
        String service,
        String revision,
        @Nullable String instanceType) {

    /** The Deployment (and ConfigMap) of this variant's revision. */
    String deployment() {
        return ChildNames.of(ChildNames.DEPLOYMENT, service, revision);
    }

    /** The variants an endpoint's spec asks for, in its order. */
    static List<VariantPlan> of(EndpointResource endpoint) {
        String endpointLabel = endpointLabel(endpoint);
        List<VariantPlan> plans = new ArrayList<>();
        for (JsonNode variant : endpoint.getSpec().deployment().path("Variants")) {
            String name = variant.path("VariantName").asText();
            String variantLabel = ChildNames.of(ChildNames.LABEL, ResourceNames.objectName(name));
            JsonNode model = variant.path("Model");
            String instanceType = variant.hasNonNull("InstanceType")
                    ? variant.get("InstanceType").asText()
                    : null;
            plans.add(new VariantPlan(
                    endpointLabel,
                    name,
                    variantLabel,
                    model,
                    variant.path("InstanceCount").asInt(1),
                    variant.path("Weight").asDouble(1.0),
                    ChildNames.of(ChildNames.LABEL, endpointLabel, variantLabel),
                    // A new size is a new revision too, rolled out as a new model is.
                    ChildNames.hash(model + (instanceType == null ? "" : "@" + instanceType), 10),
                    instanceType));
        }
        return plans;
    }

    /** The label value that marks what belongs to {@code endpoint}. */
    static String endpointLabel(EndpointResource endpoint) {
        return ChildNames.of(ChildNames.LABEL, endpoint.getMetadata().getName());
    }
}
