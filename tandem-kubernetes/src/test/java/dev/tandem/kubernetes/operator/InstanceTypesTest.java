package dev.tandem.kubernetes.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The size of an instance's pod, by SageMaker instance type. */
class InstanceTypesTest {
    @TempDir
    Path dir;

    @Test
    void aKnownTypeRequestsItsCpusAndMemoryAndIsLimitedToItsMemoryGpusByTheirLimit() {
        ResourceRequirements m5 = InstanceTypes.defaults().resources("ml.m5.xlarge");
        assertThat(m5.getRequests())
                .containsEntry("cpu", new Quantity("4"))
                .containsEntry("memory", new Quantity("16Gi"));
        assertThat(m5.getLimits()).containsOnlyKeys("memory");

        ResourceRequirements g5 = InstanceTypes.defaults().resources("ml.g5.xlarge");
        assertThat(g5.getLimits()).containsEntry("nvidia.com/gpu", new Quantity("1"));

        assertThat(InstanceTypes.defaults().resources("ml.unknown.large")).isNull();
        assertThat(InstanceTypes.defaults().resources(null)).isNull();
    }

    @Test
    void aClustersOwnSizesAddToAndReplaceTandemsAndBadOnesAreRefusedSayingWhich() throws IOException {
        Path file = dir.resolve("types.json");
        Files.writeString(
                file,
                """
                {"ml.m5.large": {"cpu": "1500m", "memory": "6Gi"}, "custom.gpu": {"cpu": "8", "memory": "30Gi", "gpus": 2}}
                """);
        InstanceTypes types = InstanceTypes.defaults().with(file);

        assertThat(types.size("ml.m5.large")).hasValue(new InstanceTypes.Size("1500m", "6Gi", 0));
        assertThat(types.size("custom.gpu")).hasValue(new InstanceTypes.Size("8", "30Gi", 2));
        assertThat(types.size("ml.c5.large")).as("the others kept").isPresent();

        Files.writeString(file, "{\"ml.m5.large\": {\"cpu\": \"2\"}}");
        assertThatThrownBy(() -> InstanceTypes.defaults().with(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("instance type ml.m5.large needs \"cpu\" and \"memory\"");
        Files.writeString(file, "{\"ml.m5.large\": {\"cpu\": \"two\", \"memory\": \"8Gi\"}}");
        assertThatThrownBy(() -> InstanceTypes.defaults().with(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ml.m5.large has a size that is not a quantity");
        Files.writeString(file, "[1, 2]");
        assertThatThrownBy(() -> InstanceTypes.defaults().with(file))
                .hasMessageContaining("must be a JSON object of instance types");
        assertThatThrownBy(() -> InstanceTypes.defaults().with(dir.resolve("missing.json")))
                .hasMessageStartingWith("cannot read instance types from");
    }
}
