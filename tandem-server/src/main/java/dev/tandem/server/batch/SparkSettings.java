package dev.tandem.server.batch;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The Spark cluster that batch transform jobs run on.
 *
 * @param master the cluster's master URL, as {@code spark-submit --master} takes it: {@code
 *     spark://HOST:PORT} (a standalone cluster) or {@code local[N]} (N threads in the job's driver
 *     process)
 * @param home a Spark home whose {@code jars/} holds Spark 4 and Tandem's Spark module: the build's
 *     {@code tandem-spark/target/spark-home}, which a standalone cluster's workers use as their
 *     {@code SPARK_HOME} too
 * @param conf Spark properties for every job ({@code spark.executor.memory}, {@code
 *     spark.cores.max}, ...)
 */
public record SparkSettings(String master, Path home, Map<String, String> conf) {
    /**
     * The JVM flags Spark's own launcher gives a driver or executor on Java 17 and newer:
     * the driver is started with them, and executors get them through {@code
     * spark.executor.extraJavaOptions}.
     */
    public static final List<String> JVM_FLAGS = List.of(
            "-XX:+IgnoreUnrecognizedVMOptions",
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.net=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.cs=ALL-UNNAMED",
            "--add-opens=java.base/sun.security.action=ALL-UNNAMED",
            "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED",
            "--add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
            "-Dio.netty.tryReflectionSetAccessible=true",
            "--enable-native-access=ALL-UNNAMED");

    public SparkSettings {
        Objects.requireNonNull(master, "spark-master");
        Objects.requireNonNull(home, "spark-home");
        if (!master.startsWith("spark://") && !master.startsWith("local")) {
            throw new IllegalArgumentException(
                    "spark-master must be spark://HOST:PORT or local[N], was '" + master + "'");
        }
        conf = Map.copyOf(conf);
    }
}
