package dev.tandem.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.core.error.ValidationException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PipelineParserTest {
    private static final Path BASE = Path.of("/srv/pipelines");
    private final PipelineParser parser = new PipelineParser();

    private PipelineDefinition parse(String json) {
        return parser.parse(json.getBytes(StandardCharsets.UTF_8), BASE);
    }

    private void assertRefused(String json, String... fragments) {
        assertThatThrownBy(() -> parse(json))
                .isInstanceOf(ValidationException.class)
                .satisfies(e -> assertThat(e.getMessage()).contains(fragments));
    }

    @Test
    void readsASerialPipelineWithEveryRuntime() {
        PipelineDefinition model = parse(
                """
            {"ModelName": "churn", "ExecutionRoleArn": "arn:aws:iam::1:role/x",
             "InferenceExecutionConfig": {"Mode": "Serial"},
             "Containers": [
               {"ContainerHostname": "pre", "Image": "exec:containers/pre", "Environment": {"SCALE": "0.5"}},
               {"ContainerHostname": "model", "Image": "builtin:xgboost", "ModelDataUrl": "file:models/churn.tar.gz"},
               {"ContainerHostname": "remote", "Image": "http://127.0.0.1:9000/base"},
               {"ContainerHostname": "post", "Image": "ghcr.io/acme/post:1.2"}
             ]}
            """);

        assertThat(model.modelName()).isEqualTo("churn");
        assertThat(model.mode()).isEqualTo(ExecutionMode.SERIAL);
        assertThat(model.containers())
                .extracting(ContainerDefinition::hostname)
                .containsExactly("pre", "model", "remote", "post");
        assertThat(model.containers().get(0).image())
                .isEqualTo(new ImageRef.Exec("exec:containers/pre", BASE.resolve("containers/pre")));
        assertThat(model.containers().get(0).environment()).containsEntry("SCALE", "0.5");
        assertThat(model.containers().get(1).image()).isEqualTo(new ImageRef.Builtin("builtin:xgboost", "xgboost"));
        assertThat(model.containers().get(1).modelData())
                .isEqualTo(BASE.resolve("models/churn.tar.gz").toUri());
        assertThat(model.containers().get(2).image()).isInstanceOf(ImageRef.Http.class);
        assertThat(model.containers().get(3).image()).isEqualTo(new ImageRef.Oci("ghcr.io/acme/post:1.2"));
    }

    @Test
    void defaultsHostnamesByPositionAndModeToSerial() {
        PipelineDefinition model = parse(
                """
            {"ModelName": "m", "Containers": [{"Image": "exec:a"}, {"Image": "exec:b"}]}
            """);

        assertThat(model.mode()).isEqualTo(ExecutionMode.SERIAL);
        assertThat(model.containers())
                .extracting(ContainerDefinition::hostname)
                .containsExactly("container-1", "container-2");
    }

    @Test
    void acceptsModelContainersAsAnAliasOfContainers() {
        PipelineDefinition model =
                parse("""
        {"ModelName": "m", "ModelContainers": [{"Image": "exec:a"}]}
        """);

        assertThat(model.containers()).hasSize(1);
    }

    @Test
    void primaryContainerIsNamedPrimary() {
        PipelineDefinition model =
                parse("""
        {"ModelName": "m", "PrimaryContainer": {"Image": "builtin:identity"}}
        """);

        assertThat(model.containers())
                .singleElement()
                .extracting(ContainerDefinition::hostname)
                .isEqualTo("primary");
    }

    @Test
    void directModeIsRead() {
        PipelineDefinition model = parse(
                """
            {"ModelName": "m", "InferenceExecutionConfig": {"Mode": "Direct"},
             "Containers": [{"ContainerHostname": "a", "Image": "exec:a"}]}
            """);

        assertThat(model.mode()).isEqualTo(ExecutionMode.DIRECT);
    }

    @Test
    void fileUrlsMayBeAbsolute() {
        PipelineDefinition model = parse(
                """
            {"ModelName": "m", "PrimaryContainer": {"Image": "exec:/opt/serve", "ModelDataUrl": "file:///data/model"}}
            """);

        assertThat(model.containers().get(0).modelData())
                .isEqualTo(Path.of("/data/model").toUri());
        assertThat(((ImageRef.Exec) model.containers().get(0).image()).path()).isEqualTo(Path.of("/opt/serve"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            textBlock =
                    """
          unknown top-level member   | {"ModelName": "m", "Containerz": [], "PrimaryContainer": {"Image": "exec:a"}} | Containerz is not a known member
          unknown container member   | {"ModelName": "m", "Containers": [{"Image": "exec:a", "Imgae": "x"}]} | Containers[1].Imgae is not a known member
          unsupported member         | {"ModelName": "m", "Containers": [{"Image": "exec:a", "ModelPackageName": "p"}]} | Containers[1].ModelPackageName is not supported by Tandem
          missing model name         | {"Containers": [{"Image": "exec:a"}]} | ModelName is required
          model name of wrong type   | {"ModelName": 7, "Containers": [{"Image": "exec:a"}]} | ModelName must be a string, got the number 7
          model name pattern         | {"ModelName": "no_underscores", "Containers": [{"Image": "exec:a"}]} | ModelName 'no_underscores' must be 1 to 63 letters, digits and inner dashes
          missing image              | {"ModelName": "m", "Containers": [{"ContainerHostname": "a"}]} | Containers[1].Image is required
          image of wrong type        | {"ModelName": "m", "Containers": [{"Image": ["exec:a"]}]} | Containers[1].Image must be a string, got a list
          empty exec path            | {"ModelName": "m", "Containers": [{"Image": "exec:"}]} | Containers[1].Image 'exec:' names no program
          bad builtin name           | {"ModelName": "m", "Containers": [{"Image": "builtin:Bad Name"}]} | must be builtin:NAME
          duplicate hostname         | {"ModelName": "m", "Containers": [{"ContainerHostname": "a", "Image": "exec:a"}, {"ContainerHostname": "a", "Image": "exec:b"}]} | Containers[2].ContainerHostname 'a' is used by another container
          some hostnames missing     | {"ModelName": "m", "Containers": [{"ContainerHostname": "a", "Image": "exec:a"}, {"Image": "exec:b"}]} | ContainerHostname is set on 1 of 2 containers
          bad hostname               | {"ModelName": "m", "Containers": [{"ContainerHostname": "-a", "Image": "exec:a"}]} | Containers[1].ContainerHostname '-a' must be
          unknown mode               | {"ModelName": "m", "InferenceExecutionConfig": {"Mode": "Parallel"}, "Containers": [{"Image": "exec:a"}]} | InferenceExecutionConfig.Mode 'Parallel' is not one of Serial, Direct
          mode missing               | {"ModelName": "m", "InferenceExecutionConfig": {}, "Containers": [{"Image": "exec:a"}]} | InferenceExecutionConfig.Mode is required
          no containers              | {"ModelName": "m", "Containers": []} | Containers has 0 containers; a model has 1 to 15
          no containers at all       | {"ModelName": "m"} | one of PrimaryContainer or Containers is required
          both kinds of containers   | {"ModelName": "m", "PrimaryContainer": {"Image": "exec:a"}, "Containers": [{"Image": "exec:a"}]} | give PrimaryContainer or Containers, not both
          containers not a list      | {"ModelName": "m", "Containers": {"Image": "exec:a"}} | Containers must be a list of container definitions
          environment value a number | {"ModelName": "m", "Containers": [{"Image": "exec:a", "Environment": {"N": 3}}]} | Containers[1].Environment.N must be a string, got the number 3
          environment bad key        | {"ModelName": "m", "Containers": [{"Image": "exec:a", "Environment": {"1X": "v"}}]} | Containers[1].Environment key '1X' must match
          model data scheme          | {"ModelName": "m", "Containers": [{"Image": "exec:a", "ModelDataUrl": "ftp://x/y"}]} | Containers[1].ModelDataUrl 'ftp://x/y' must start with file:, s3:// or https://
          multi-model mode           | {"ModelName": "m", "Containers": [{"Image": "exec:a", "Mode": "MultiModel"}]} | Containers[1].Mode 'MultiModel' is not supported
          not an object              | ["ModelName"] | expected a JSON object
          malformed json             | {"ModelName": "m", | not valid JSON
          duplicate key              | {"ModelName": "m", "ModelName": "n", "PrimaryContainer": {"Image": "exec:a"}} | Duplicate field 'ModelName'
          """)
    void refusesInvalidFilesNamingTheMemberAndTheReason(String name, String json, String message) {
        assertRefused(json, message);
    }

    @Test
    void refusesMoreThanFifteenContainers() {
        String sixteen = "{\"Image\": \"exec:a\"},".repeat(15) + "{\"Image\": \"exec:a\"}";

        assertRefused(
                "{\"ModelName\": \"m\", \"Containers\": [" + sixteen + "]}",
                "Containers has 16 containers; a model has 1 to 15");
    }

    @Test
    void reportsEveryProblemAtOnce() {
        assertRefused(
                """
        {"ModelName": "m", "Extra": 1, "Containers": [{"Image": 1}, {"Image": "exec:b", "Environment": []}]}
        """,
                "3 validation errors detected",
                "Extra is not a known member",
                "Containers[1].Image must be a string",
                "Containers[2].Environment must be an object");
    }

    @Test
    void malformedJsonNamesTheLine() {
        assertRefused("{\n\"ModelName\": \"m\",\n oops}", "line 3");
    }
}
