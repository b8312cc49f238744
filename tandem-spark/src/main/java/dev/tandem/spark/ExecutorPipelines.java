package dev.tandem.spark;

import dev.tandem.core.model.PipelineDefinition;
import dev.tandem.runtime.ContainerLogs;
import dev.tandem.runtime.RuntimeSettings;
import dev.tandem.runtime.Runtimes;
import dev.tandem.runtime.builtin.BuiltinRuntime;
import dev.tandem.runtime.builtin.StageRegistry;
import dev.tandem.runtime.contract.ContractClient;
import dev.tandem.runtime.exec.ExecRuntime;
import dev.tandem.runtime.exec.ProcessRecords;
import dev.tandem.runtime.exec.Supervisor;
import dev.tandem.runtime.http.HttpRuntime;
import dev.tandem.runtime.model.ArchiveLimits;
import dev.tandem.runtime.model.ModelDataStore;
import dev.tandem.runtime.oci.ContainerEngine;
import dev.tandem.runtime.oci.OciRuntime;
import dev.tandem.runtime.storage.ObjectStore;
import dev.tandem.server.batch.ExecutionParameters;
import dev.tandem.server.batch.SparkJob;
import dev.tandem.server.batch.TransformFleet;
import dev.tandem.server.endpoint.EndpointRegistry;
import dev.tandem.server.endpoint.InFlightLimit;
import dev.tandem.server.endpoint.Instance;
import dev.tandem.server.endpoint.ServerlessScaler;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model's instance inside one executor JVM: started by the first task of a job that runs
 * here, shared by every task after it (the model is loaded once per executor, not per input), and
 * stopped when the executor exits — its {@code exec:} programs and images with it.
 */
final class ExecutorPipelines {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorPipelines.class);
    private static final Map<String, Host> HOSTS = new HashMap<>();
    private static boolean hooked;

    private ExecutorPipelines() {}

    /** The running instance of {@code job}'s model in this JVM, started on first use. */
    static synchronized Host forJob(SparkJob job) throws TransformFleet.StartFailure {
        Host host = HOSTS.get(job.name());
        if (host == null) {
            if (!hooked) {
                Runtime.getRuntime().addShutdownHook(new Thread(ExecutorPipelines::closeAll, "tandem-executor-stop"));
                hooked = true;
            }
            host = Host.start(job);
            HOSTS.put(job.name(), host);
        }
        return host;
    }

    static synchronized void closeAll() {
        for (Host host : HOSTS.values()) {
            host.close();
        }
        HOSTS.clear();
    }

    /**
     * This JVM's folder under {@code $TMPDIR/tandem-executors}, named by its pid. An executor that
     * was killed could not stop its containers: whichever executor starts next on the machine
     * stops them, as its {@code run/} records name them, and removes the folder.
     */
    private static Path ownFolder() {
        Path all = Path.of(System.getProperty("java.io.tmpdir"), "tandem-executors");
        try {
            Files.createDirectories(all);
            try (Stream<Path> folders = Files.list(all)) {
                for (Path folder : folders.toList()) {
                    String name = folder.getFileName().toString();
                    boolean alive = name.matches("\\d+")
                            && ProcessHandle.of(Long.parseLong(name))
                                    .map(ProcessHandle::isAlive)
                                    .orElse(false);
                    if (!alive) {
                        stopLeftovers(folder);
                        delete(folder);
                    }
                }
            }
            return Files.createDirectories(
                    all.resolve(Long.toString(ProcessHandle.current().pid())));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops the containers that the jobs' {@code run/} records under {@code folder} name. */
    private static void stopLeftovers(Path folder) throws IOException {
        try (Stream<Path> jobs = Files.list(folder)) {
            for (Path job : jobs.toList()) {
                int stopped = new ProcessRecords(job.resolve("run")).stopLeftovers(Duration.ofSeconds(5));
                if (stopped > 0) {
                    LOG.warn("Stopped {} container process(es) a killed executor left running", stopped);
                }
            }
        }
    }

    private static void delete(Path folder) {
        try (Stream<Path> files = Files.walk(folder)) {
            files.sorted(Comparator.reverseOrder())
                    .forEach(path -> path.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // gone already, or not ours to remove; nothing depends on it
        }
    }

    /** What runs the containers of one model in this JVM, as a server's runtimes would. */
    static final class Host implements AutoCloseable {
        private final Path work;
        private final Vertx vertx;
        private final ExecutorService virtualThreads;
        private final ExecutorService nativeThreads;
        private final ScheduledExecutorService timers;
        private final ObjectStore objects;
        private final PipelineDefinition model;
        private @Nullable TransformFleet fleet;

        private Host(Path work, SparkJob job) {
            this.work = work;
            this.objects = new ObjectStore(job.s3());
            this.model = job.pipeline();
            this.vertx = Vertx.vertx();
            this.virtualThreads = Executors.newVirtualThreadPerTaskExecutor();
            int cores = Runtime.getRuntime().availableProcessors();
            this.nativeThreads = Executors.newFixedThreadPool(
                    cores,
                    Thread.ofPlatform().name("native-stage-", 0).daemon(true).factory());
            this.timers = Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().name("timers").daemon(true).factory());
        }

        static Host start(SparkJob job) throws TransformFleet.StartFailure {
            Path work;
            try {
                work = Files.createDirectories(ownFolder().resolve(job.name()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Host host = new Host(work, job);
            try {
                host.fleet = host.launch(job);
                return host;
            } catch (TransformFleet.StartFailure | RuntimeException e) {
                host.close();
                throw e;
            }
        }

        private TransformFleet launch(SparkJob job) throws TransformFleet.StartFailure {
            RuntimeSettings settings = job.runtime().settings();
            ContractClient client = new ContractClient(vertx, settings.maxConnectionsPerContainer());
            ContainerLogs logs = ContainerLogs.inFolder(work.resolve("logs"), 10L << 20, 1);
            Supervisor supervisor = new Supervisor(client, settings, new ProcessRecords(work.resolve("run")), logs);
            Runtimes runtimes = new Runtimes(
                    new ExecRuntime(supervisor),
                    new HttpRuntime(client, settings, logs),
                    new BuiltinRuntime(
                            StageRegistry.discover(ExecutorPipelines.class.getClassLoader()),
                            virtualThreads,
                            nativeThreads,
                            logs),
                    new OciRuntime(supervisor, ContainerEngine.detect(System.getenv()), "spark-" + UUID.randomUUID()));
            EndpointRegistry registry = new EndpointRegistry(
                    runtimes,
                    new ModelDataStore(work, ArchiveLimits.defaults(), objects),
                    InFlightLimit.sized(),
                    timers,
                    Duration.ofMinutes(5),
                    ServerlessScaler.Listener.NONE);
            LOG.info("Transform job {}: starting the model's containers in this executor", job.name());
            return TransformFleet.launch(registry, job.spec(), model, 1, job.startupTimeout(), () -> false);
        }

        ExecutionParameters parameters() {
            return fleet().parameters();
        }

        List<Instance> instances() {
            return fleet().variant().instances();
        }

        PipelineDefinition model() {
            return model;
        }

        ObjectStore objects() {
            return objects;
        }

        /** Where partial outputs bound for an object store are written first. */
        Path scratch() {
            return work.resolve("outputs");
        }

        private TransformFleet fleet() {
            if (fleet == null) {
                throw new IllegalStateException("not started");
            }
            return fleet;
        }

        @Override
        public void close() {
            if (fleet != null) {
                fleet.close();
            }
            vertx.close();
            virtualThreads.shutdownNow();
            nativeThreads.shutdownNow();
            timers.shutdownNow();
            objects.close();
            try (Stream<Path> files = Files.walk(work)) {
                files.sorted(Comparator.reverseOrder())
                        .forEach(path -> path.toFile().delete());
            } catch (IOException | UncheckedIOException e) {
                // a temporary folder; nothing depends on its removal
            }
        }
    }
}
