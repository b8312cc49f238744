package dev.tandem.stages.transform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.Stage;
import dev.tandem.core.stage.StageContext;
import dev.tandem.core.stage.StageException;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.stages.support.Json;
import dev.tandem.stages.table.HeaderPolicy;
import dev.tandem.stages.table.Matrix;
import dev.tandem.stages.table.Table;
import dev.tandem.stages.table.TableReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TransformStageTest {
    private static final String TEMPLATE =
            """
            {"input": {"columns": ["city", "rooms", "size", "age"]},
             "features": [
               {"column": "size", "steps": [{"op": "impute", "strategy": "mean"}, {"op": "standard"}]},
               {"column": "rooms", "as": "bedrooms", "steps": [{"op": "impute", "strategy": "median"},
                 {"op": "minmax"}]},
               {"column": "age", "steps": [{"op": "clip", "max": 100}, {"op": "log", "offset": 1},
                 {"op": "impute", "strategy": "constant", "value": -1}]},
               {"column": 3, "as": "era", "steps": [{"op": "bucketize", "boundaries": [10, 50]}]},
               {"column": "city", "as": "city_code", "steps": [{"op": "impute", "strategy": "most_frequent"},
                 {"op": "ordinal", "unknown": "use_encoded_value", "unknownValue": -1}]},
               {"column": "city", "steps": [{"op": "onehot", "unknown": "ignore"}]}
             ]}
            """;
    private static final String TRAINING =
            """
            city,rooms,size,age
            Oslo,2,50,5
            Bergen,3,70,
            Oslo,,90,200
            Tromso,5,,40
            """;

    @TempDir
    Path modelDir;

    @Test
    void fittingLearnsEachStepFromTheOutputOfTheStepsBeforeIt() throws Exception {
        TransformSpec spec = fit();

        Step.Standardize size =
                (Step.Standardize) spec.features().get(0).steps().get(1);
        assertThat(((Step.Impute) spec.features().get(0).steps().get(0)).value())
                .isEqualTo(70.0);
        assertThat(size.mean()).isCloseTo(70.0, within(1e-9)); // imputed values count, as in scikit-learn
        assertThat(size.std()).isCloseTo(Math.sqrt(200), within(1e-9));
        assertThat(((Step.Impute) spec.features().get(1).steps().get(0)).value())
                .isEqualTo(3.0);
        assertThat(((Step.MinMax) spec.features().get(1).steps().get(1)).max()).isEqualTo(5.0);
        assertThat(((Step.Impute) spec.features().get(4).steps().get(0)).value())
                .isEqualTo("Oslo");
        assertThat(((Step.Ordinal) spec.features().get(4).steps().get(1)).categories())
                .containsExactly("Bergen", "Oslo", "Tromso");
        assertThat(new Transformer(spec).featureNames())
                .containsExactly(
                        "size", "bedrooms", "age", "era", "city_code", "city=Bergen", "city=Oslo", "city=Tromso");
    }

    @Test
    void appliesTheFittedSpecToCsvWithOrWithoutHeaderJsonRecordsAndJsonLines() throws Exception {
        try (Stage stage = stage()) {
            String headerless = invoke(stage, "Bergen,3,80,9\nParis,,,60\n", "text/csv", "text/csv");
            String withHeader =
                    invoke(stage, "city,rooms,size,age\nBergen,3,80,9\nParis,,,60\n", "text/csv", "text/csv");
            String records = invoke(
                    stage,
                    "[{\"city\": \"Bergen\", \"rooms\": 3, \"size\": 80, \"age\": 9}, {\"city\": \"Paris\", \"age\": 60}]",
                    "application/json",
                    "text/csv");
            String lines = invoke(
                    stage,
                    "{\"city\": \"Bergen\", \"rooms\": 3, \"size\": 80, \"age\": 9}\n{\"city\": \"Paris\", \"age\": 60}\n",
                    "application/jsonlines",
                    "text/csv");

            assertThat(withHeader).isEqualTo(headerless);
            assertThat(records).isEqualTo(headerless);
            assertThat(lines).isEqualTo(headerless);
            float[] bergen = Matrix.read(Payload.utf8(headerless), "text/csv").values();
            float standardized = (float) (10 / Math.sqrt(200));
            float log10 = (float) Math.log(10);
            assertThat(bergen).startsWith(standardized, 1f / 3, log10, 0f, 0f, 1f, 0f, 0f);
            // Paris: size imputed to the mean (0 after scaling), rooms to the median, an unknown city
            // encoded -1 and all-zero one-hot.
            assertThat(Matrix.read(Payload.utf8(headerless), "text/csv").get(1, 0))
                    .isZero();
            assertThat(headerless.lines().toList().get(1)).endsWith(",2.0,-1.0,0.0,0.0,0.0");
        }
    }

    @Test
    void answersJsonInstancesOrNamedRecords() throws Exception {
        try (Stage stage = stage()) {
            assertThat(invoke(stage, "Oslo,2,70,0", "text/csv", "application/json"))
                    .startsWith("{\"instances\":[[0.0,0.0,0.0,0.0,1.0,0.0,1.0,0.0]]");
        }
        Files.writeString(
                modelDir.resolve(TransformSpec.FILE_NAME),
                Json.MAPPER.writeValueAsString(
                        new TransformSpec(fit().input(), fit().features(), new TransformSpec.Output("records"))));
        try (Stage stage = new TransformStageProvider().create(new StageContext("t", modelDir, Map.of()))) {
            assertThat(invoke(stage, "Oslo,2,70,0", "text/csv", "application/json"))
                    .startsWith("[{\"size\":0.0,\"bedrooms\":0.0,");
        }
    }

    @Test
    void rowsItCannotReadAreRefusedNamingTheRowAndColumn() throws Exception {
        try (Stage stage = stage()) {
            assertThat(refusal(stage, "Oslo,2,70", "text/csv"))
                    .isEqualTo("row 1 has 3 values; expected 4 (city, rooms, size, age)");
            assertThat(refusal(stage, "Oslo,2,70,5\nOslo,two,70,5", "text/csv"))
                    .isEqualTo("row 2, column 'rooms': 'two' is not a number");
            assertThat(refusal(stage, "city,rooms,age\nOslo,2,5", "text/csv"))
                    .isEqualTo("missing column 'size'; the body has columns [city, rooms, age]");
            assertThat(refusal(stage, "Oslo,2,70,-5", "text/csv"))
                    .isEqualTo("row 1, column 'age': log of -5.0 + 1.0 is undefined");
            assertThat(refusal(stage, "{\"city\": \"Oslo\"}", "application/json"))
                    .startsWith("expected a JSON array of rows or records");
            assertThat(refusal(stage, "[{\"city\": [1]}]", "application/json"))
                    .isEqualTo("a cell is an array; cells are numbers, strings or null");
        }
    }

    @Test
    void anUnknownCategoryIsRefusedUnlessThePolicySaysOtherwise() {
        Step.OneHot strict = new Step.OneHot(java.util.List.of("a", "b"), null);
        float[] out = new float[2];
        assertThatThrownBy(() -> strict.encode("c", out, 0)).hasMessage("'c' is not a known category [a, b]");
        Step.Ordinal ordinal = new Step.Ordinal(java.util.List.of("a", "b"), "error", null);
        assertThatThrownBy(() -> ordinal.apply("c")).hasMessage("'c' is not a known category [a, b]");
        assertThat(ordinal.apply("b")).isEqualTo(1.0);
        assertThat(new Step.OneHot(java.util.List.of("a"), "ignore").width()).isEqualTo(1);
    }

    @Test
    void invalidSpecsFailAtCreationSayingWhatIsWrong() throws Exception {
        assertThat(specError("{\"features\": []}")).contains("the spec lists no features");
        assertThat(specError(
                        "{\"features\": [{\"column\": \"a\", \"steps\": [{\"op\": \"onehot\"}, {\"op\": \"log\"}]}]}"))
                .contains("onehot must be the last step of feature a");
        assertThat(specError("{\"features\": [{\"column\": \"a\", \"steps\": [{\"op\": \"impute\", \"strategy\":"
                        + " \"mode\"}]}]}"))
                .contains("impute strategy must be constant, mean, median or most_frequent, got mode");
        assertThat(specError("{\"features\": [{\"column\": \"a\", \"steps\": [{\"op\": \"explode\"}]}]}"))
                .contains("transform.json is not a valid transform spec")
                .contains("explode");
        assertThat(specError("{\"features\": [{\"column\": \"a\", \"steps\": [{\"op\": \"standard\"}]}]}"))
                .contains("the spec's steps for [a] have no fitted values");
        Files.delete(modelDir.resolve(TransformSpec.FILE_NAME));
        assertThatThrownBy(() -> new TransformStageProvider().create(new StageContext("t", modelDir, Map.of())))
                .hasMessageContaining("the model folder has no file transform.json");
    }

    private String specError(String spec) throws Exception {
        Files.writeString(modelDir.resolve(TransformSpec.FILE_NAME), spec);
        try {
            new TransformStageProvider().create(new StageContext("t", modelDir, Map.of()));
        } catch (IllegalArgumentException e) {
            return String.valueOf(e.getMessage());
        }
        throw new AssertionError("accepted " + spec);
    }

    private TransformSpec fit() throws Exception {
        Path template = modelDir.resolve("template.json");
        Files.writeString(template, TEMPLATE);
        Table training = TableReader.read(Payload.utf8(TRAINING), "text/csv", HeaderPolicy.always());
        return TransformFitter.fit(TransformSpec.read(template), training);
    }

    private Stage stage() throws Exception {
        Files.write(modelDir.resolve(TransformSpec.FILE_NAME), Json.MAPPER.writeValueAsBytes(fit()));
        return new TransformStageProvider().create(new StageContext("t", modelDir, Map.of()));
    }

    private static String invoke(Stage stage, String body, String contentType, @Nullable String accept) {
        return stage.invoke(new StageRequest(Payload.utf8(body), contentType, accept, null))
                .body()
                .asUtf8();
    }

    private static String refusal(Stage stage, String body, String contentType) {
        try {
            stage.invoke(new StageRequest(Payload.utf8(body), contentType, null, null));
        } catch (StageException e) {
            assertThat(e.status()).isEqualTo(400);
            return String.valueOf(e.getMessage());
        }
        throw new AssertionError("accepted " + body);
    }
}
