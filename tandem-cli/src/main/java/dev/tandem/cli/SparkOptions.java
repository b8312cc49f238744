package dev.tandem.cli;

import dev.tandem.server.ServerConfig;
import dev.tandem.server.batch.SparkSettings;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/** Where batch transform jobs run when not on this machine: shared by {@code serve} and {@code transform}. */
final class SparkOptions {
    @Option(
            names = "--spark-master",
            paramLabel = "URL",
            description = "Run batch transform jobs on this Spark cluster: spark://HOST:PORT (a standalone"
                    + " cluster) or local[N] (N threads in each job's driver process). A job's Environment"
                    + " TANDEM_BATCH_ENGINE=local keeps it on this machine (default: every job on this machine).")
    @Nullable
    String master;

    @Option(
            names = "--spark-home",
            paramLabel = "DIR",
            description = "A Spark home whose jars/ holds Spark 4 and Tandem's Spark module, as the build's"
                    + " tandem-spark/target/spark-home does; a standalone cluster's workers need the same (default:"
                    + " $TANDEM_SPARK_HOME, else the build's).")
    @Nullable
    Path home;

    @Option(
            names = "--spark-conf",
            paramLabel = "KEY=VALUE",
            description = "A Spark property for every job (spark.executor.memory=2g, spark.cores.max=8, ...);"
                    + " repeatable.")
    Map<String, String> conf = new LinkedHashMap<>();

    /** The config with these options; IllegalArgumentException names a bad value. */
    ServerConfig applyTo(ServerConfig config) {
        if (master == null) {
            if (home != null || !conf.isEmpty()) {
                throw new IllegalArgumentException("--spark-home and --spark-conf go with --spark-master.");
            }
            return config;
        }
        Path found = home != null ? home : defaultHome();
        if (found == null || !Files.isDirectory(found.resolve("jars"))) {
            throw new IllegalArgumentException("--spark-home " + (found == null ? "" : found + " ")
                    + "is not a Spark home with a jars/ folder: build it with `./mvnw install -pl tandem-spark -am`"
                    + " (tandem-spark/target/spark-home) or give --spark-home DIR.");
        }
        return config.withSpark(new SparkSettings(master, found.toAbsolutePath().normalize(), conf));
    }

    /** $TANDEM_SPARK_HOME, else the build's, next to this command line's jar. */
    private static @Nullable Path defaultHome() {
        String variable = System.getenv("TANDEM_SPARK_HOME");
        if (variable != null && !variable.isBlank()) {
            return Path.of(variable);
        }
        try {
            // <repository>/tandem-cli/target/tandem.jar
            Path jar = Path.of(SparkOptions.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI());
            Path repository = jar.toAbsolutePath().resolve("../../..").normalize();
            return repository.resolve("tandem-spark/target/spark-home");
        } catch (URISyntaxException | NullPointerException | SecurityException e) {
            return null;
        }
    }
}
