package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.it.support.SparkCluster;
import dev.tandem.it.support.TandemFixture;
import dev.tandem.server.ServerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sagemaker.model.DescribeTransformJobResponse;
import software.amazon.awssdk.services.sagemaker.model.TransformJobStatus;

/**
 * Every case of {@link BatchTransformLifecycleIT} with the jobs on Spark (local mode), and what is
 * Spark's own: a job's driver outlives a server that stops, and the server that starts again
 * follows it, or resumes the job with a new driver when the old one is gone; a job may still
 * choose to run on the server's machine.
 */
class BatchTransformLifecycleOnSparkIT extends BatchTransformLifecycleIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    ServerConfig engine(ServerConfig config) {
        return SparkCluster.local(config);
    }

    /** The drivers' logs, for whoever reads a failure's output. */
    @AfterEach
    void printDriverLogs() throws IOException {
        Path batch = workDir.resolve("data/batch");
        if (!Files.isDirectory(batch)) {
            return;
        }
        try (Stream<Path> logs = Files.walk(batch)) {
            for (Path log : logs.filter(p -> p.getFileName().toString().equals("driver.log"))
                    .toList()) {
                List<String> lines = Files.readAllLines(log);
                System.out.println("--- " + log + " (last 40 lines)");
                lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(System.out::println);
            }
        }
    }

    @Test
    @Override
    void aJobCutOffByARestartResumesWithoutRedoingFinishedInputs() throws IOException {
        Path output = workDir.resolve("out");
        FileTime firstWritten = startAndStopMidJob(output);
        ProcessHandle driver = driver("resumable").orElseThrow();
        assertThat(driver.isAlive()).as("the driver goes on without the server").isTrue();

        try (TandemFixture restarted = start()) {
            DescribeTransformJobResponse job = BatchTransformIT.awaitEnd(restarted.sageMaker(), "resumable");

            assertThat(job.transformJobStatus()).as(job.failureReason()).isEqualTo(TransformJobStatus.COMPLETED);
            assertThat(Files.readAllLines(output.resolve("b.csv.out"))).hasSize(60);
            assertThat(Files.getLastModifiedTime(output.resolve("a.csv.out"))).isEqualTo(firstWritten);
            assertThat(driver.onExit()).succeedsWithin(Duration.ofSeconds(30));
        }
    }

    @Test
    void aJobWhoseDriverDiedWithTheServerResumesWithANewDriverSkippingFinishedInputs() throws IOException {
        Path output = workDir.resolve("out");
        FileTime firstWritten = startAndStopMidJob(output);
        ProcessHandle driver = driver("resumable").orElseThrow();
        driver.destroyForcibly();
        assertThat(driver.onExit()).succeedsWithin(Duration.ofSeconds(10));
        assertThat(output.resolve("b.csv.out")).doesNotExist();

        try (TandemFixture restarted = start()) {
            DescribeTransformJobResponse job = BatchTransformIT.awaitEnd(restarted.sageMaker(), "resumable");

            assertCompletedByANewDriverSkippingA(job, output, firstWritten, driver.pid());
        }
    }

    @Test
    void aDriverKilledWhileTheServerWatchesIsReplacedOnceByOneSkippingFinishedInputs() throws IOException {
        Path output = workDir.resolve("out");
        try (TandemFixture tandem = start()) {
            FileTime firstWritten = startAndAwaitFirstInput(tandem, output);
            ProcessHandle first = driver("resumable").orElseThrow();
            first.destroyForcibly(); // as the kernel's out-of-memory killer would
            assertThat(first.onExit()).succeedsWithin(Duration.ofSeconds(10));

            DescribeTransformJobResponse job = BatchTransformIT.awaitEnd(tandem.sageMaker(), "resumable");

            assertCompletedByANewDriverSkippingA(job, output, firstWritten, first.pid());
        }
    }

    @Test
    void aJobWhoseReplacementDriverIsLostTooFailsSayingHowItEnded() throws IOException {
        Path output = workDir.resolve("out");
        try (TandemFixture tandem = start()) {
            startAndAwaitFirstInput(tandem, output);
            long first = driverPid("resumable");
            killWithItsContainers(driver("resumable").orElseThrow());
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            // The server empties the folder for the new driver, then names it.
            while (!Files.exists(sparkFolder("resumable").resolve("driver.json")) || driverPid("resumable") == first) {
                assertThat(System.nanoTime()).as("a new driver").isLessThan(deadline);
                TandemFixture.sleep(Duration.ofMillis(20));
            }
            long second = driverPid("resumable");
            killWithItsContainers(driver("resumable").orElseThrow());

            DescribeTransformJobResponse job = BatchTransformIT.awaitEnd(tandem.sageMaker(), "resumable");

            assertThat(job.transformJobStatus()).isEqualTo(TransformJobStatus.FAILED);
            assertThat(job.failureReason())
                    .startsWith("The Spark driver (pid " + second + ") exited with code 137 (SIGKILL")
                    .contains("without finishing the job");
            assertThat(output.resolve("b.csv.out")).doesNotExist();
        }
    }

    @Test
    void aJobMayChooseTheServersMachineAndAnUnknownEngineIsRefused() throws IOException {
        try (TandemFixture tandem = start()) {
            createModel(tandem, "echo-model", Map.of("TAG", "m"));
            Path input = Files.createDirectories(workDir.resolve("in"));
            Files.writeString(input.resolve("rows.csv"), "a\nb\n");

            DescribeTransformJobResponse local = run(
                    tandem.sageMaker(),
                    request("here", "echo-model", input, workDir.resolve("out-here"))
                            .environment(Map.of("TANDEM_BATCH_ENGINE", "local"))
                            .build());
            DescribeTransformJobResponse spark = run(
                    tandem.sageMaker(),
                    request("there", "echo-model", input, workDir.resolve("out-there"))
                            .build());

            assertThat(local.transformJobStatus()).as(local.failureReason()).isEqualTo(TransformJobStatus.COMPLETED);
            assertThat(spark.transformJobStatus()).as(spark.failureReason()).isEqualTo(TransformJobStatus.COMPLETED);
            assertThat(Files.readString(workDir.resolve("out-here/rows.csv.out")))
                    .isEqualTo(Files.readString(workDir.resolve("out-there/rows.csv.out")));
            assertThat(sparkFolder("here").resolve("driver.log")).doesNotExist();
            assertThat(sparkFolder("there").resolve("driver.log")).exists();
            assertThatThrownBy(() -> tandem.sageMaker()
                            .createTransformJob(request("gpu", "echo-model", input, workDir.resolve("o"))
                                    .environment(Map.of("TANDEM_BATCH_ENGINE", "gpu"))
                                    .build()))
                    .hasMessageContaining("Environment TANDEM_BATCH_ENGINE must be local or spark, was 'gpu'.");
        }
    }

    /** Starts the job, waits until its first input is done, stops the server; answers a.csv.out's time. */
    private FileTime startAndStopMidJob(Path output) throws IOException {
        try (TandemFixture tandem = start()) {
            return startAndAwaitFirstInput(tandem, output);
        }
    }

    /** Starts the job (a.csv, then b.csv, slowly), waits until a.csv is done; answers a.csv.out's time. */
    private FileTime startAndAwaitFirstInput(TandemFixture tandem, Path output) throws IOException {
        Path input = Files.createDirectories(workDir.resolve("in"));
        Files.writeString(input.resolve("a.csv"), lines(20));
        Files.writeString(input.resolve("b.csv"), lines(60));
        createModel(tandem, "slow-model", Map.of("SLEEP_MS", "100", "TAG", "m"));
        tandem.sageMaker()
                .createTransformJob(
                        request("resumable", "slow-model", input, output).build());
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!Files.exists(output.resolve("a.csv.out"))) {
            assertThat(System.nanoTime()).as("a.csv done").isLessThan(deadline);
            TandemFixture.sleep(Duration.ofMillis(20));
        }
        return Files.getLastModifiedTime(output.resolve("a.csv.out"));
    }

    /** The job completed, b.csv done by a driver other than {@code lostDriver}, a.csv not done again. */
    private void assertCompletedByANewDriverSkippingA(
            DescribeTransformJobResponse job, Path output, FileTime firstWritten, long lostDriver) throws IOException {
        assertThat(job.transformJobStatus()).as(job.failureReason()).isEqualTo(TransformJobStatus.COMPLETED);
        assertThat(Files.readAllLines(output.resolve("b.csv.out"))).hasSize(60);
        assertThat(Files.readAllLines(output.resolve("a.csv.out"))).hasSize(20);
        assertThat(Files.getLastModifiedTime(output.resolve("a.csv.out"))).isEqualTo(firstWritten);
        assertThat(driverPid("resumable")).as("a new driver").isNotEqualTo(lostDriver);
    }

    /**
     * SIGKILL to a driver and the containers its executor runs, as to a process group: a driver
     * nothing replaces leaves no container behind.
     */
    private static void killWithItsContainers(ProcessHandle driver) {
        List<ProcessHandle> containers = driver.descendants().toList();
        driver.destroyForcibly();
        containers.forEach(ProcessHandle::destroyForcibly);
        assertThat(driver.onExit()).succeedsWithin(Duration.ofSeconds(10));
    }

    private Path sparkFolder(String job) {
        return workDir.resolve("data/batch").resolve(job).resolve("spark");
    }

    private java.util.Optional<ProcessHandle> driver(String job) throws IOException {
        return ProcessHandle.of(driverPid(job));
    }

    private long driverPid(String job) throws IOException {
        JsonNode driver = JSON.readTree(sparkFolder(job).resolve("driver.json").toFile());
        return driver.path("pid").asLong();
    }
}
