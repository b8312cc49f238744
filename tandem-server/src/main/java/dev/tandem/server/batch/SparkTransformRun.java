package dev.tandem.server.batch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A transform job run on a Spark cluster: the server starts the job's driver as a process of its
 * own ({@code dev.tandem.spark.TransformDriver}, as {@code spark-submit --deploy-mode client}
 * would), hands it the job through a {@link SparkJobFolder} and follows its status there. The
 * driver outlives the server: a server that restarts finds it still running and follows it again,
 * or, when it died with the job unfinished, starts a new one that skips the inputs already done. A
 * driver that dies unfinished while the server watches (the kernel's out-of-memory killer, a
 * crash) is replaced the same way, once.
 */
final class SparkTransformRun implements TransformExecution {
    private static final Logger LOG = LoggerFactory.getLogger(SparkTransformRun.class);
    private static final Duration POLL = Duration.ofMillis(200);
    /**
     * How many drivers one run of a job may have: one that dies without finishing (killed, crashed)
     * is replaced once by a driver that skips the inputs already done, as YARN gives a Spark
     * application two attempts by default ({@code spark.yarn.maxAppAttempts}).
     */
    private static final int MAX_DRIVERS = 2;
    /** How long a driver asked to stop has before it is killed. */
    private static final Duration STOP_GRACE = Duration.ofSeconds(30);

    private final SparkJob job;
    private final SparkSettings spark;
    private final SparkJobFolder folder;
    private volatile TransformProgress.Snapshot progress;
    private volatile boolean stopRequested;
    private volatile boolean shuttingDown;

    SparkTransformRun(SparkJob job, SparkSettings spark, SparkJobFolder folder) {
        this.job = job;
        this.spark = spark;
        this.folder = folder;
        long bytes = job.inputs().stream().mapToLong(SparkJob.Input::size).sum();
        this.progress = new TransformProgress.Snapshot(job.inputs().size(), 0, 0, bytes, 0, 0, 0);
    }

    @Override
    public TransformProgress.Snapshot progress() {
        return progress;
    }

    @Override
    public void stop() {
        stopRequested = true;
        folder.requestStop();
    }

    @Override
    public void interrupt() {
        shuttingDown = true;
    }

    @Override
    public Outcome run() {
        DriverProcess driver;
        try {
            driver = attachOrLaunch();
        } catch (IOException | UncheckedIOException e) {
            return new Outcome.Failed("The Spark driver could not start: " + e.getMessage());
        }
        if (driver == null) {
            // The driver had already ended while no server watched it.
            return outcome(folder.status().orElseThrow());
        }
        for (int drivers = 1; ; drivers++) {
            Optional<Outcome> end = follow(driver);
            if (end.isPresent()) {
                return end.get();
            }
            String lost =
                    "The Spark driver (pid " + driver.pid() + ") " + driver.ending() + " without finishing the job";
            if (drivers >= MAX_DRIVERS) {
                String log = SparkJobFolder.lastLines(folder.log(), 5);
                return new Outcome.Failed(lost + (log == null ? "." : "; its log ends:\n" + log));
            }
            if (shuttingDown) {
                return new Outcome.Interrupted(); // the next server resumes it
            }
            LOG.warn(
                    "Transform job {}: {}; its log ends:\n{}\nStarting a new driver that skips the inputs already done",
                    job.name(),
                    lost,
                    SparkJobFolder.lastLines(folder.log(), 30));
            try {
                driver = launch(job.resuming());
            } catch (IOException | UncheckedIOException e) {
                return new Outcome.Failed(lost + ", and a new driver could not start: " + e.getMessage());
            }
            if (stopRequested) {
                folder.requestStop(); // again: a stop asked while the folder was emptied for the new driver
            }
        }
    }

    /**
     * Follows the driver until the job ends, the server stops or the driver is lost; empty when the
     * driver ended without finishing the job (killed, crashed) and no stop was asked.
     */
    private Optional<Outcome> follow(DriverProcess driver) {
        Instant stopDeadline = null;
        while (true) {
            Optional<SparkJobStatus> status = folder.status();
            status.ifPresent(s -> progress = s.progress());
            if (status.isPresent() && status.get().ended()) {
                awaitExit(driver.handle());
                return Optional.of(outcome(status.get()));
            }
            if (shuttingDown) {
                LOG.info(
                        "Transform job {}: the server stops; its Spark driver (pid {}) goes on",
                        job.name(),
                        driver.pid());
                return Optional.of(new Outcome.Interrupted());
            }
            if (!driver.isAlive()) {
                // It may have written its last status just before ending.
                Optional<SparkJobStatus> last = folder.status();
                if (last.isPresent() && last.get().ended()) {
                    return Optional.of(outcome(last.get()));
                }
                return stopRequested ? Optional.of(new Outcome.Stopped()) : Optional.empty();
            }
            if (stopRequested && stopDeadline == null) {
                stopDeadline = Instant.now().plus(STOP_GRACE);
            }
            if (stopDeadline != null && Instant.now().isAfter(stopDeadline)) {
                LOG.warn(
                        "Transform job {}: the Spark driver did not stop within {}; ending it. Its log ends:\n{}",
                        job.name(),
                        STOP_GRACE,
                        SparkJobFolder.lastLines(folder.log(), 30));
                driver.handle().destroy(); // SIGTERM: its executors' containers are stopped on the way out
                awaitExit(driver.handle());
                return Optional.of(new Outcome.Stopped());
            }
            try {
                Thread.sleep(POLL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.of(new Outcome.Interrupted());
            }
        }
    }

    /**
     * The job's running driver, started now or found from an earlier server's run; null when that
     * driver has already ended with the job.
     */
    private @Nullable DriverProcess attachOrLaunch() throws IOException {
        if (job.resume()) {
            Optional<SparkJobStatus> status = folder.status();
            Optional<ProcessHandle> running = folder.driver().flatMap(SparkTransformRun::alive);
            if (running.isPresent()) {
                LOG.info(
                        "Transform job {}: following its Spark driver again (pid {})",
                        job.name(),
                        running.get().pid());
                return new DriverProcess(running.get(), null);
            }
            if (status.isPresent() && status.get().ended()) {
                return null;
            }
        }
        return launch(job);
    }

    /** Starts a driver for {@code run} in an emptied folder. */
    private DriverProcess launch(SparkJob run) throws IOException {
        folder.reset();
        folder.writeJob(run);
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(SparkSettings.JVM_FLAGS);
        command.add("-cp");
        command.add(spark.home().toAbsolutePath().resolve("jars") + "/*");
        command.add("dev.tandem.spark.TransformDriver");
        command.add(folder.dir().toAbsolutePath().toString());
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(folder.log().toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        Map<String, String> environment = builder.environment();
        environment.put("SPARK_HOME", spark.home().toAbsolutePath().toString());
        environment.put("SPARK_SCALA_VERSION", "2.13");
        Process process = builder.start();
        folder.writeDriver(new SparkJobFolder.Driver(
                process.pid(),
                process.info().startInstant().map(Instant::toEpochMilli).orElse(0L)));
        LOG.info(
                "Transform job {}: Spark driver started (pid {}, master {}, log {})",
                run.name(),
                process.pid(),
                run.master(),
                folder.log());
        return new DriverProcess(process.toHandle(), process);
    }

    /** The process, when it is alive and the same one that was recorded (not a reused pid). */
    private static Optional<ProcessHandle> alive(SparkJobFolder.Driver driver) {
        return ProcessHandle.of(driver.pid()).filter(ProcessHandle::isAlive).filter(p -> p.info()
                .startInstant()
                .map(Instant::toEpochMilli)
                .map(started -> driver.startedEpochMillis() == 0 || started == driver.startedEpochMillis())
                .orElse(true));
    }

    /**
     * A driver's process: one this server started ({@code child}, whose exit code it learns) or one
     * an earlier server started and this one follows.
     */
    private record DriverProcess(ProcessHandle handle, @Nullable Process child) {
        long pid() {
            return handle.pid();
        }

        /**
         * Whether it still runs. A child's end is the one the JDK reaped, which no lookup by pid can
         * mistake; another server's driver is looked up by pid (and start time), twice, a poll apart,
         * before it counts as gone: a new driver started beside a live one would write the same
         * outputs.
         */
        boolean isAlive() {
            if (child != null) {
                return child.isAlive();
            }
            if (handle.isAlive()) {
                return true;
            }
            try {
                Thread.sleep(POLL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return true;
            }
            return handle.isAlive();
        }

        /** How it ended, as a failure's reason says it. */
        String ending() {
            if (child == null) {
                return "ended";
            }
            int code = child.exitValue();
            String signal = signalName(code - 128);
            return "exited with code " + code + (signal == null ? "" : " (" + signal + ")");
        }

        /** A signal's name, for the exit codes 128 + signal that the JDK reports for a killed child. */
        private static @Nullable String signalName(int signal) {
            return switch (signal) {
                case 1 -> "SIGHUP";
                case 2 -> "SIGINT";
                case 6 -> "SIGABRT";
                case 9 -> "SIGKILL: killed by the kernel's out-of-memory killer, or by kill -9";
                case 11 -> "SIGSEGV";
                case 15 -> "SIGTERM";
                default -> null;
            };
        }
    }

    private static void awaitExit(ProcessHandle driver) {
        try {
            driver.onExit().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            driver.destroyForcibly();
        }
    }

    private Outcome outcome(SparkJobStatus status) {
        progress = status.progress();
        return switch (status.state()) {
            case SparkJobStatus.COMPLETED -> new Outcome.Completed();
            case SparkJobStatus.STOPPED -> new Outcome.Stopped();
            default -> new Outcome.Failed(status.reason() == null ? "The Spark job failed." : status.reason());
        };
    }
}
