package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.it.support.CliProcess;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tandem transform}, as a user runs it: embedded on a pipeline file, or against a server. */
class TransformCommandIT {
    private static final Path PENGUINS = CliProcess.repositoryRoot().resolve("examples/penguins");

    @TempDir
    Path workDir;

    @Test
    void transformsTheExamplesHeldOutRowsEmbeddedWithProgressLines() throws IOException {
        Path input = Files.createDirectories(workDir.resolve("in"));
        List<String> rows = new ArrayList<>();
        for (String line :
                Files.readAllLines(PENGUINS.resolve("data/holdout.csv")).subList(1, 61)) {
            rows.add(line.substring(line.indexOf(',') + 1));
        }
        Files.write(input.resolve("a.csv"), rows.subList(0, 30));
        Files.write(input.resolve("b.csv"), rows.subList(30, 60));
        Path output = workDir.resolve("out");

        CliProcess transform = CliProcess.start(List.of(
                "transform",
                "--pipeline",
                PENGUINS.resolve("pipeline.json").toString(),
                "--input",
                input.toString(),
                "--output",
                output.toString(),
                "--content-type",
                "text/csv",
                "--accept",
                "text/csv",
                "--strategy",
                "MultiRecord",
                "--data-dir",
                workDir.resolve("data").toString()));

        assertThat(transform.awaitExit(Duration.ofSeconds(90)))
                .as(transform.stderr())
                .isZero();
        assertThat(transform.stderr()).containsPattern("transform penguins-\\d+ completed in \\d+ s");
        assertThat(Files.readAllLines(output.resolve("a.csv.out"))).hasSize(30).allSatisfy(line -> assertThat(line)
                .matches("(Adelie|Chinstrap|Gentoo),0\\.\\d+"));
        assertThat(Files.readAllLines(output.resolve("b.csv.out"))).hasSize(30);
    }

    @Test
    void againstARunningServerAFailedJobExitsOneWithItsReason() throws Exception {
        Path input = Files.createDirectories(workDir.resolve("in"));
        Files.writeString(input.resolve("bad.csv"), "Dream,forty,17.9,192,3500,male,2007\n");
        try (CliProcess serve = CliProcess.start(List.of(
                "serve",
                "--port",
                "0",
                "--data-dir",
                workDir.resolve("data").toString(),
                PENGUINS.resolve("pipeline.json").toString()))) {
            String url = serve.awaitStderr(
                            Pattern.compile("Endpoint penguins: POST (http://127\\.0\\.0\\.1:\\d+)/"),
                            Duration.ofSeconds(60))
                    .group(1);

            CliProcess transform = CliProcess.start(List.of(
                    "transform",
                    "--url",
                    url,
                    "--model",
                    "penguins",
                    "--name",
                    "bad-rows",
                    "--input",
                    input.toString(),
                    "--output",
                    workDir.resolve("out").toString(),
                    "--content-type",
                    "text/csv"));

            assertThat(transform.awaitExit(Duration.ofSeconds(60))).isEqualTo(1);
            assertThat(transform.stderr())
                    .contains("transform bad-rows failed: Input bad.csv, record 1: features answered 400:")
                    .contains("'forty' is not a number");
            assertThat(workDir.resolve("out/bad.csv.out")).doesNotExist();
        }
    }

    /**
     * An input several times the heap of the server that streams it: records are read, sent and
     * written as they go, so memory stays flat.
     */
    @Test
    void anInputFarLargerThanTheHeapStreamsThrough() throws IOException {
        Path input = Files.createDirectories(workDir.resolve("big-in"));
        long lines = 0;
        try (BufferedWriter out = Files.newBufferedWriter(input.resolve("big.csv"))) {
            String row = "0.123456,0.234567,0.345678,0.456789,0.567891,0.678912,0.789123,0.891234,0.912345,1.0\n";
            while (lines * row.length() < 320L * 1024 * 1024) {
                out.write(row);
                lines++;
            }
        }
        Path pipeline = workDir.resolve("identity.json");
        Files.writeString(
                pipeline,
                "{\"ModelName\": \"identity\", \"Containers\": [{\"Image\": \"builtin:identity\"}, {\"Image\":"
                        + " \"builtin:identity\"}]}");
        Path output = workDir.resolve("big-out");

        CliProcess transform = CliProcess.start(
                List.of(
                        "transform",
                        "--pipeline",
                        pipeline.toString(),
                        "--input",
                        input.toString(),
                        "--output",
                        output.toString(),
                        "--content-type",
                        "text/csv",
                        "--strategy",
                        "MultiRecord",
                        "--concurrency",
                        "2",
                        "--data-dir",
                        workDir.resolve("data").toString()),
                Map.of("JAVA_TOOL_OPTIONS", "-Xmx96m"));

        assertThat(transform.awaitExit(Duration.ofSeconds(240)))
                .as(transform.stderr())
                .isZero();
        assertThat(Files.size(output.resolve("big.csv.out"))).isEqualTo(Files.size(input.resolve("big.csv")));
        assertThat(Files.size(input.resolve("big.csv"))).isGreaterThan(3L * 96 * 1024 * 1024);
    }
}
