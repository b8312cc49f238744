package dev.tandem.kubernetes.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** A pipeline's container images, run beside the instance in its pod. */
class ImageSidecarsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TANDEM = "registry.example/tandem:1";

    @Test
    void eachImageRunsBesideTheInstanceWhichReachesItOnLocalhostWithItsModelDataFetchedFirst() throws IOException {
        JsonNode model = JSON.readTree(
                """
                {"ModelName": "m", "Containers": [
                  {"ContainerHostname": "pre", "Image": "builtin:transform"},
                  {"ContainerHostname": "model", "Image": "registry.example/xgboost:1.7",
                   "Environment": {"SAGEMAKER_PROGRAM": "inference.py"},
                   "ModelDataUrl": "s3://models/xgb/model.tar.gz"},
                  {"ContainerHostname": "post", "Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/post:latest"}]}
                """);

        ImageSidecars images = ImageSidecars.of(model, TANDEM);

        assertThat(images.pipeline().at("/Containers/0/Image").asText()).isEqualTo("builtin:transform");
        assertThat(images.pipeline().at("/Containers/1"))
                .isEqualTo(JSON.readTree("{\"ContainerHostname\": \"model\", \"Image\": \"http://127.0.0.1:9001\"}"));
        assertThat(images.pipeline().at("/Containers/2/Image").asText()).isEqualTo("http://127.0.0.1:9002");
        assertThat(model.at("/Containers/1/Image").asText())
                .as("the model itself is left as it is")
                .isEqualTo("registry.example/xgboost:1.7");

        assertThat(images.sidecars()).hasSize(2);
        Container xgboost = images.sidecars().get(0);
        assertThat(xgboost.getImage()).isEqualTo("registry.example/xgboost:1.7");
        assertThat(xgboost.getArgs()).containsExactly("serve");
        assertThat(xgboost.getEnv())
                .extracting(EnvVar::getName, EnvVar::getValue)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("SAGEMAKER_PROGRAM", "inference.py"),
                        org.assertj.core.groups.Tuple.tuple("SAGEMAKER_BIND_TO_PORT", "9001"));
        assertThat(xgboost.getVolumeMounts().get(0).getMountPath()).isEqualTo("/opt/ml/model");
        assertThat(xgboost.getVolumeMounts().get(0).getReadOnly()).isTrue();

        assertThat(images.initContainers()).singleElement().satisfies(fetch -> {
            assertThat(fetch.getImage()).isEqualTo(TANDEM);
            assertThat(fetch.getArgs()).containsExactly("model-data", "s3://models/xgb/model.tar.gz", "/model");
            assertThat(fetch.getVolumeMounts().get(0).getName())
                    .isEqualTo(xgboost.getVolumeMounts().get(0).getName());
        });
        assertThat(images.volumes()).singleElement().satisfies(volume -> assertThat(volume.getEmptyDir())
                .isNotNull());
        assertThat(images.sidecars().get(1).getVolumeMounts())
                .as("no model data, no volume")
                .isEmpty();
    }

    @Test
    void aPipelineWithoutImagesRunsWhollyInTheInstance() throws IOException {
        JsonNode model =
                JSON.readTree("{\"ModelName\": \"m\", \"PrimaryContainer\": {\"Image\": \"exec:/opt/serve\"}}");

        ImageSidecars images = ImageSidecars.of(model, TANDEM);

        assertThat(images.pipeline()).isEqualTo(model);
        assertThat(images.sidecars()).isEmpty();
        assertThat(images.initContainers()).isEmpty();
    }
}
