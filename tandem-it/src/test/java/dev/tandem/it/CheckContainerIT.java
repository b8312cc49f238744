package dev.tandem.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tandem.it.support.CliProcess;
import dev.tandem.it.support.TandemFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tandem check-container}: the contract, point by point, for a container run alone. */
class CheckContainerIT {
    @TempDir
    Path workDir;

    String image;

    @BeforeEach
    void writeContainer() {
        TandemFixture.writeContainerScript(workDir.resolve("test-container"));
        image = "exec:" + workDir.resolve("test-container");
    }

    @Test
    void aContainerThatHonoursTheContractPassesEveryPoint() {
        CliProcess check = CliProcess.run(
                List.of("check-container", image, "--body", "1,2", "--content-type", "text/csv", "--env", "TAG=t"));

        assertThat(check.awaitExit(Duration.ofSeconds(60)))
                .as(check.stdout() + check.stderr())
                .isZero();
        assertThat(check.stdout())
                .containsSubsequence(
                        "PASS  starts as `serve`",
                        "PASS  listens on SAGEMAKER_BIND_TO_PORT",
                        "PASS  answers GET /ping with 200 within 2 s",
                        "PASS  answers POST /invocations (text/csv) — HTTP 200, text/csv",
                        "1,2>t(ct=text/csv",
                        "PASS  stops on SIGTERM",
                        "The container honours the contract.");
    }

    @Test
    void eachBrokenPointIsReportedAndTheExitStatusSaysSo() {
        CliProcess unhealthy = CliProcess.run(
                List.of("check-container", image, "--env", "BEHAVIOUR=never-healthy", "--startup-timeout", "3s"));
        CliProcess failing = CliProcess.run(List.of(
                "check-container",
                image,
                "--env",
                "BEHAVIOUR=fail",
                "--env",
                "FAIL_STATUS=500",
                "--env",
                "FAIL_MESSAGE=no model loaded"));
        CliProcess exiting = CliProcess.run(List.of("check-container", image, "--env", "BEHAVIOUR=exit"));

        assertThat(unhealthy.awaitExit(Duration.ofSeconds(60))).isEqualTo(1);
        assertThat(unhealthy.stdout()).contains("FAIL  answers GET /ping with 200 within 2 s — HTTP 500");
        assertThat(failing.awaitExit(Duration.ofSeconds(60))).isEqualTo(1);
        assertThat(failing.stdout())
                .contains("PASS  answers GET /ping")
                .contains("FAIL  answers POST /invocations (text/csv) — HTTP 500")
                .contains("no model loaded")
                .contains("1 point(s) failed.");
        assertThat(exiting.awaitExit(Duration.ofSeconds(60))).isEqualTo(1);
        assertThat(exiting.stdout())
                .contains("FAIL  listens on SAGEMAKER_BIND_TO_PORT — exited with code 1")
                .contains("cannot start: missing configuration");
    }
}
