package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.it.support.CliProcess;
import dev.tandem.it.support.TandemFixture;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mixed example: child-process containers and in-process stages alternate in one pipeline
 * (exec → transform → xgboost → postprocess → exec), and each body's content type carries across
 * both kinds of hop.
 */
class FieldNotesExampleIT {
    private static final Path EXAMPLE = CliProcess.repositoryRoot().resolve("examples/field-notes");

    @TempDir
    Path workDir;

    @Test
    void fieldNotesBecomeSpeciesSentencesThroughExecAndBuiltinStagesAlike() throws IOException {
        try (TandemFixture tandem = TandemFixture.start(workDir)) {
            tandem.deployFileAndAwait(EXAMPLE.resolve("pipeline.json"));

            HttpResponse<String> response = tandem.invoke(
                    "field-notes",
                    Files.readString(EXAMPLE.resolve("data/notes.csv")),
                    "Content-Type",
                    "text/csv",
                    "X-Tandem-Debug",
                    "stages");

            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain");
            assertThat(response.body().lines().toList()).hasSize(4).satisfies(lines -> {
                assertThat(lines.get(0)).startsWith("Penguin 1 is surely an Adelie");
                assertThat(lines.get(1)).startsWith("Penguin 2 is surely a Gentoo");
                assertThat(lines.get(2)).startsWith("Penguin 3 is surely a Chinstrap");
            });
            assertThat(response.headers().firstValue("X-Tandem-Stages").orElseThrow())
                    .containsSubsequence(
                            "normalize;", "type=\"text/csv\"",
                            "features;", "type=\"text/csv\"",
                            "xgboost;", "type=\"application/json\"",
                            "species;", "type=\"text/csv\"",
                            "report;", "type=\"text/plain\"");

            HttpResponse<String> bad = tandem.invoke(
                    "field-notes",
                    "island,bill_length,bill_depth,flipper_length,body_mass,sex\nDream,long,18 mm,190 mm,3.8 kg,F\n",
                    "Content-Type",
                    "text/csv");
            assertThat(bad.statusCode()).isEqualTo(424);
            assertThat(bad.body()).contains("from normalize", "note 1: 'long' is not a measurement in mm");
        }
    }
}
