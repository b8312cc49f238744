package dev.tandem.kubernetes.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A pipeline's container images as sidecars of the instance's pod: SageMaker runs all the
 * containers of a pipeline on one instance, and a pod's containers share its network, so each image
 * runs beside Tandem as SageMaker runs it — argument {@code serve}, its Environment, {@code
 * SAGEMAKER_BIND_TO_PORT}, its model data at {@code /opt/ml/model} — and the pipeline the instance
 * runs names it as {@code http://127.0.0.1:PORT}, a server Tandem reaches on localhost and watches
 * through {@code /ping} like any other. The model data is fetched before the pod's containers start
 * by an init container of Tandem's image ({@code tandem model-data URL DIR}) into a volume of the
 * pod.
 *
 * @param pipeline the pipeline the instance runs, its images replaced by their sidecars' addresses
 * @param sidecars one container per image of the pipeline, in its order
 * @param initContainers the fetches of the images' model data
 * @param volumes where each image's model data is
 */
record ImageSidecars(
        JsonNode pipeline, List<Container> sidecars, List<Container> initContainers, List<Volume> volumes) {
    /** The first sidecar's port; the instance listens on {@link TandemOperator#INSTANCE_PORT}. */
    static final int FIRST_PORT = 9001;

    static final String MODEL_DIR = "/opt/ml/model";

    /** Splits {@code model} (a CreateModel body) into what the instance runs and what runs beside it. */
    static ImageSidecars of(JsonNode model, String tandemImage) {
        ObjectNode pipeline = model.deepCopy();
        List<Container> sidecars = new ArrayList<>();
        List<Container> initContainers = new ArrayList<>();
        List<Volume> volumes = new ArrayList<>();
        List<ObjectNode> containers = new ArrayList<>();
        if (pipeline.path("PrimaryContainer").isObject()) {
            containers.add((ObjectNode) pipeline.get("PrimaryContainer"));
        }
        if (pipeline.path("Containers").isArray()) {
            ((ArrayNode) pipeline.get("Containers")).forEach(c -> containers.add((ObjectNode) c));
        }
        for (ObjectNode container : containers) {
            String image = container.path("Image").asText();
            if (!isImage(image)) {
                continue;
            }
            int n = sidecars.size() + 1;
            int port = FIRST_PORT + sidecars.size();
            String name = "image-" + n;
            List<EnvVar> env = new ArrayList<>();
            for (Map.Entry<String, JsonNode> variable :
                    container.path("Environment").properties()) {
                env.add(new EnvVar(variable.getKey(), variable.getValue().asText(), null));
            }
            env.add(new EnvVar("SAGEMAKER_BIND_TO_PORT", Integer.toString(port), null));
            ContainerBuilder sidecar = new ContainerBuilder()
                    .withName(name)
                    .withImage(image)
                    .withArgs("serve")
                    .withEnv(env)
                    .addNewPort()
                    .withName("image-" + n)
                    .withContainerPort(port)
                    .withProtocol("TCP")
                    .endPort();
            if (container.hasNonNull("ModelDataUrl")) {
                String volume = "model-" + n;
                volumes.add(new VolumeBuilder()
                        .withName(volume)
                        .withNewEmptyDir()
                        .endEmptyDir()
                        .build());
                initContainers.add(new ContainerBuilder()
                        .withName("fetch-model-" + n)
                        .withImage(tandemImage)
                        .withArgs("model-data", container.get("ModelDataUrl").asText(), "/model")
                        .addNewVolumeMount()
                        .withName(volume)
                        .withMountPath("/model")
                        .endVolumeMount()
                        .build());
                sidecar.addNewVolumeMount()
                        .withName(volume)
                        .withMountPath(MODEL_DIR)
                        .withReadOnly(true)
                        .endVolumeMount();
            }
            sidecars.add(sidecar.build());
            // The instance reaches it on the pod's loopback; its model data is the sidecar's.
            container.put("Image", "http://127.0.0.1:" + port);
            container.remove("Environment");
            container.remove("ModelDataUrl");
        }
        return new ImageSidecars(pipeline, sidecars, initContainers, volumes);
    }

    /** Whether a container's Image names a container image, rather than Tandem's own kinds. */
    static boolean isImage(String image) {
        return !(image.startsWith("exec:")
                || image.startsWith("builtin:")
                || image.startsWith("http://")
                || image.startsWith("https://"));
    }
}
