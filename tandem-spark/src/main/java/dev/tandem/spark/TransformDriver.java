package dev.tandem.spark;

import dev.tandem.runtime.storage.ObjectStore;
import dev.tandem.server.batch.InputTransformer;
import dev.tandem.server.batch.SparkJob;
import dev.tandem.server.batch.SparkJobFolder;
import dev.tandem.server.batch.SparkJobStatus;
import dev.tandem.server.batch.SparkSettings;
import dev.tandem.server.batch.TransformJobSpec;
import dev.tandem.server.batch.TransformProgress;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver of one transform job on Spark, a process a Tandem server starts with the job's
 * {@link SparkJobFolder} (as {@code spark-submit --deploy-mode client} would start an
 * application): one Spark job whose tasks are the job's inputs, each transformed inside an
 * executor by the model's pipeline running there. It reports its state and the records done
 * across executors in the folder's {@code status.json}, stops when the folder asks, and ends when
 * the job does — whether or not a server is still watching.
 */
public final class TransformDriver {
    private static final Logger LOG = LoggerFactory.getLogger(TransformDriver.class);
    private static final String JOB_GROUP = "tandem-transform";

    private final SparkJobFolder folder;
    private final SparkJob job;
    private volatile boolean stopping;
    /** Set when no executor came up in time: the job fails instead of waiting on the cluster forever. */
    private volatile boolean noExecutors;

    private volatile long withoutExecutorsSince = System.nanoTime();
    private volatile @Nullable String applicationId;

    TransformDriver(SparkJobFolder folder, SparkJob job) {
        this.folder = folder;
        this.job = job;
    }

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: TransformDriver JOB_FOLDER (written by the Tandem server that runs the job)");
            System.exit(2);
        }
        SparkJobFolder folder = new SparkJobFolder(Path.of(args[0]));
        SparkJob job = folder.job();
        TransformDriver driver = new TransformDriver(folder, job);
        SparkJobStatus end;
        try {
            end = driver.run();
        } catch (Exception | Error e) {
            LOG.error("Transform job {}: the driver failed", job.name(), e);
            end = driver.report(
                    SparkJobStatus.FAILED,
                    "The Spark driver failed: " + rootMessage(e),
                    new TransformProgress.Snapshot(job.inputs().size(), 0, 0, 0, 0, 0, 0));
        }
        System.exit(end.state().equals(SparkJobStatus.COMPLETED) ? 0 : 1);
    }

    SparkJobStatus run() {
        TransformJobSpec spec = job.spec();
        long bytesTotal = job.inputs().stream().mapToLong(SparkJob.Input::size).sum();
        List<SparkJob.Input> remaining = new ArrayList<>();
        long skippedFiles = 0;
        long skippedBytes = 0;
        try (ObjectStore objects = new ObjectStore(job.s3())) {
            for (SparkJob.Input input : job.inputs()) {
                if (job.resume() && InputTransformer.outputExists(spec, input.file(), objects)) {
                    skippedFiles++;
                    skippedBytes += input.size();
                } else {
                    remaining.add(input);
                }
            }
        }
        Counts done = new Counts(job.inputs().size(), bytesTotal, skippedFiles, skippedBytes);
        report(SparkJobStatus.STARTING, null, done.snapshot(null, null));
        if (remaining.isEmpty()) {
            return report(SparkJobStatus.COMPLETED, null, done.snapshot(null, null));
        }
        SparkJobStatus end;
        ScheduledExecutorService reporter = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("status").daemon(true).factory());
        try (JavaSparkContext spark = new JavaSparkContext(conf())) {
            spark.setLogLevel("WARN");
            applicationId = spark.sc().applicationId();
            TransformAccumulators counters = TransformAccumulators.register(spark.sc());
            LiveProgress live = new LiveProgress();
            spark.sc().addSparkListener(live);
            var following = reporter.scheduleWithFixedDelay(
                    () -> follow(spark, done, counters, live), 0, 250, TimeUnit.MILLISECONDS);
            spark.setJobGroup(JOB_GROUP, "Tandem transform job " + job.name(), true);
            LOG.info(
                    "Transform job {}: {} input(s) on {} as {}",
                    job.name(),
                    remaining.size(),
                    job.master(),
                    applicationId);
            if (folder.stopRequested()) {
                stopping = true;
                reporter.shutdownNow();
                return report(SparkJobStatus.STOPPED, null, done.last());
            }
            List<InputOutcome> outcomes = spark.parallelize(remaining, remaining.size())
                    .map(new TransformTask(job, counters))
                    .collect();
            following.cancel(false);
            reporter.shutdownNow();
            end = ending(outcomes, done.snapshot(counters, null));
        } catch (Exception e) { // Spark's failures are checked exceptions thrown undeclared
            reporter.shutdownNow();
            if (noExecutors) {
                end = report(
                        SparkJobStatus.FAILED,
                        "No Spark executor started within "
                                + job.startupTimeout().toSeconds() + " s on "
                                + job.master() + ": check that its workers are up and have the cores and memory"
                                + " the job asks (spark.executor.cores, spark.executor.memory); the driver's log"
                                + " is " + folder.log() + ".",
                        done.last());
            } else if (stopping) {
                end = report(SparkJobStatus.STOPPED, null, done.last());
            } else {
                LOG.error("Transform job {} failed on Spark", job.name(), e);
                end = report(SparkJobStatus.FAILED, "Spark could not run the job: " + rootMessage(e), done.last());
            }
        }
        return end;
    }

    /** Reports progress, and passes a stop request on to Spark. */
    private void follow(JavaSparkContext spark, Counts done, TransformAccumulators counters, LiveProgress live) {
        try {
            if (!stopping && folder.stopRequested()) {
                stopping = true;
                LOG.info("Transform job {}: stopping", job.name());
            }
            if (!stopping && !job.master().startsWith("local") && lacksExecutors(spark)) {
                noExecutors = true;
                stopping = true;
            }
            if (stopping) {
                // Again at each turn: a stop that came before the job was submitted cancels it then.
                spark.cancelJobGroup(JOB_GROUP);
            }
            if (!stopping) {
                report(SparkJobStatus.RUNNING, null, done.snapshot(counters, live));
            }
        } catch (RuntimeException e) {
            LOG.warn("Transform job {}: cannot report progress: {}", job.name(), e.toString());
        }
    }

    /** Whether the application has had no executor for longer than the model may take to start. */
    private boolean lacksExecutors(JavaSparkContext spark) {
        // The driver is among the executors Spark lists.
        if (spark.sc().statusTracker().getExecutorInfos().length > 1) {
            withoutExecutorsSince = System.nanoTime();
            return false;
        }
        return System.nanoTime() - withoutExecutorsSince > job.startupTimeout().toNanos();
    }

    private SparkJobStatus ending(List<InputOutcome> outcomes, TransformProgress.Snapshot progress) {
        if (stopping) { // the inputs cut off by the stop answered "stopped", not failed
            return report(SparkJobStatus.STOPPED, null, progress);
        }
        for (InputOutcome outcome : outcomes) { // in input order: the first failure is named
            if (outcome.modelDidNotStart()) {
                return report(SparkJobStatus.FAILED, outcome.failure(), progress);
            }
        }
        for (InputOutcome outcome : outcomes) {
            if (outcome.failure() != null) {
                return report(SparkJobStatus.FAILED, outcome.failure(), progress);
            }
        }
        return report(SparkJobStatus.COMPLETED, null, progress);
    }

    private SparkJobStatus report(String state, @Nullable String reason, TransformProgress.Snapshot progress) {
        SparkJobStatus status = new SparkJobStatus(state, applicationId, reason, progress);
        folder.writeStatus(status);
        return status;
    }

    private SparkConf conf() {
        SparkConf conf = new SparkConf()
                .setAppName("tandem-transform-" + job.name())
                .setMaster(job.master())
                // Live progress rides on the executors' heartbeats.
                .set("spark.executor.heartbeatInterval", "1s")
                .set("spark.executor.extraJavaOptions", String.join(" ", SparkSettings.JVM_FLAGS));
        if (onThisMachine(job.master())) {
            // Left alone, Spark binds the driver to the first network interface's address.
            conf.set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1");
        }
        job.conf().forEach(conf::set);
        return conf;
    }

    private static boolean onThisMachine(String master) {
        if (master.startsWith("local")) {
            return true;
        }
        String host = URI.create(master).getHost();
        return host != null && (host.equals("localhost") || host.startsWith("127."));
    }

    private static String rootMessage(Throwable failure) {
        Throwable cause = failure;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        String message = failure.getMessage();
        return message == null ? cause.toString() : message.lines().findFirst().orElse(message);
    }

    /** The job's progress: the inputs a resumed run skipped, plus what Spark's tasks counted. */
    private static final class Counts {
        private final long filesTotal;
        private final long bytesTotal;
        private final long skippedFiles;
        private final long skippedBytes;
        private volatile TransformProgress.Snapshot last;

        Counts(long filesTotal, long bytesTotal, long skippedFiles, long skippedBytes) {
            this.filesTotal = filesTotal;
            this.bytesTotal = bytesTotal;
            this.skippedFiles = skippedFiles;
            this.skippedBytes = skippedBytes;
            this.last = new TransformProgress.Snapshot(filesTotal, skippedFiles, 0, bytesTotal, skippedBytes, 0, 0);
        }

        TransformProgress.Snapshot snapshot(@Nullable TransformAccumulators counters, @Nullable LiveProgress live) {
            if (counters == null) {
                return last;
            }
            TransformProgress.Snapshot now = new TransformProgress.Snapshot(
                    filesTotal,
                    skippedFiles + total(counters.filesDone(), live),
                    total(counters.filesFailed(), live),
                    bytesTotal,
                    Math.min(bytesTotal, skippedBytes + total(counters.bytesRead(), live)),
                    total(counters.records(), live),
                    total(counters.requests(), live));
            last = now;
            return now;
        }

        TransformProgress.Snapshot last() {
            return last;
        }

        private static long total(org.apache.spark.util.LongAccumulator accumulator, @Nullable LiveProgress live) {
            return live == null ? accumulator.value() : live.total(accumulator);
        }
    }
}
