package dev.tandem.it.support;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.server.ServerConfig;
import dev.tandem.server.batch.SparkSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real standalone Spark cluster on loopback, from the jars the build put in {@code
 * tandem-spark/target/spark-home}: a master process and worker processes, each worker launching
 * executor processes for the applications it is given — as {@code sbin/start-master.sh} and
 * {@code start-worker.sh} would start them.
 */
public final class SparkCluster implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path work;
    private final int port;
    private final int webPort;
    private final Process master;
    private final List<Process> workers = new ArrayList<>();

    private SparkCluster(Path work, int port, int webPort, Process master) {
        this.work = work;
        this.port = port;
        this.webPort = webPort;
        this.master = master;
    }

    /** The Spark home the build makes: Spark's jars and Tandem's Spark module. */
    public static Path home() {
        Path home = CliProcess.repositoryRoot().resolve("tandem-spark/target/spark-home");
        assertThat(home.resolve("jars"))
                .as("built by ./mvnw install (tandem-spark)")
                .isDirectory();
        return home;
    }

    /** The server config with jobs on Spark in local mode: two task threads in each job's driver. */
    public static ServerConfig local(ServerConfig config) {
        return config.withSpark(new SparkSettings("local[2]", home(), Map.of("spark.ui.enabled", "false")));
    }

    /** The server config with jobs on this cluster. */
    public ServerConfig on(ServerConfig config) {
        return config.withSpark(new SparkSettings(masterUrl(), home(), Map.of("spark.ui.enabled", "false")));
    }

    public static SparkCluster start(Path work, int workerCount) {
        int port = freePort();
        int webPort = freePort();
        SparkCluster cluster = new SparkCluster(
                work,
                port,
                webPort,
                launch(
                        work.resolve("master.log"),
                        "org.apache.spark.deploy.master.Master",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        Integer.toString(port),
                        "--webui-port",
                        Integer.toString(webPort)));
        try {
            for (int i = 0; i < workerCount; i++) {
                cluster.addWorker();
            }
            cluster.awaitWorkers(workerCount);
            return cluster;
        } catch (RuntimeException | AssertionError e) {
            cluster.close();
            throw e;
        }
    }

    public String masterUrl() {
        return "spark://127.0.0.1:" + port;
    }

    /** Starts one more worker: one core, its own work folder. */
    public void addWorker() {
        int index = workers.size();
        Path dir = work.resolve("worker-" + index);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        workers.add(launch(
                work.resolve("worker-" + index + ".log"),
                "org.apache.spark.deploy.worker.Worker",
                "--host",
                "127.0.0.1",
                "--cores",
                "1",
                "--memory",
                "1g",
                "--webui-port",
                Integer.toString(freePort()),
                "--work-dir",
                dir.toString(),
                masterUrl()));
    }

    /** Kills a worker and the executors it runs at once (SIGKILL), as a lost machine would go. */
    public void killWorker(int index) {
        Process worker = workers.get(index);
        List<ProcessHandle> executors = worker.descendants().toList();
        worker.destroyForcibly();
        executors.forEach(ProcessHandle::destroyForcibly);
    }

    /** The executor processes the workers run now. */
    public long executorCount() {
        return workers.stream()
                .filter(Process::isAlive)
                .flatMap(Process::descendants)
                .filter(SparkCluster::isExecutor)
                .count();
    }

    /**
     * How many live workers run at least one executor now (an executor of an application that is
     * ending may still be exiting beside a new one: this counts workers, not executors).
     */
    public long workersWithExecutors() {
        return workers.stream()
                .filter(Process::isAlive)
                .filter(worker -> worker.descendants().anyMatch(SparkCluster::isExecutor))
                .count();
    }

    private static boolean isExecutor(ProcessHandle process) {
        return process.info()
                .arguments()
                .map(a -> List.of(a).contains("org.apache.spark.executor.CoarseGrainedExecutorBackend"))
                .orElse(false);
    }

    /** Waits until the master counts {@code count} workers alive. */
    public void awaitWorkers(int count) {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (aliveWorkers() != count) {
            assertThat(System.nanoTime())
                    .as("%d Spark workers registered with the master (logs in %s)", count, work)
                    .isLessThan(deadline);
            TandemFixture.sleep(Duration.ofMillis(200));
        }
    }

    private int aliveWorkers() {
        try (HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<String> answer = client.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + webPort + "/json/"))
                            .timeout(Duration.ofSeconds(2))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode state = JSON.readTree(answer.body());
            return state.path("aliveworkers").asInt(-1);
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Process launch(Path log, String mainClass, String... arguments) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.addAll(SparkSettings.JVM_FLAGS);
        command.add("-Xmx256m");
        command.add("-cp");
        command.add(home().resolve("jars") + "/*");
        command.add(mainClass);
        command.addAll(List.of(arguments));
        ProcessBuilder builder =
                new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> environment = builder.environment();
        environment.put("SPARK_HOME", home().toString());
        environment.put("SPARK_SCALA_VERSION", "2.13");
        environment.put("SPARK_LOCAL_IP", "127.0.0.1");
        // Executors are started with $JAVA_HOME/bin/java: this JVM's, not the machine's default.
        environment.put("JAVA_HOME", System.getProperty("java.home"));
        try {
            return builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int freePort() {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        for (Process worker : workers) {
            List<ProcessHandle> executors = worker.descendants().toList();
            worker.destroy();
            executors.forEach(ProcessHandle::destroy);
        }
        master.destroy();
        for (Process process : workers) {
            awaitGone(process.toHandle());
        }
        awaitGone(master.toHandle());
    }

    private static void awaitGone(ProcessHandle process) {
        try {
            process.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }
}
