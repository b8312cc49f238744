package dev.tandem.it.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./tandem} as a user runs it: the built {@code tandem-cli/target/tandem.jar} in a child
 * JVM, from the repository root, with its output collected line by line.
 */
public final class CliProcess implements AutoCloseable {
    private final Process process;
    private final List<String> stdout = new CopyOnWriteArrayList<>();
    private final List<String> stderr = new CopyOnWriteArrayList<>();
    private final Thread[] readers;

    private CliProcess(Process process) {
        this.process = process;
        this.readers = new Thread[] {
            collect(process.inputReader(StandardCharsets.UTF_8), stdout),
            collect(process.errorReader(StandardCharsets.UTF_8), stderr)
        };
    }

    public static Path repositoryRoot() {
        return Path.of(System.getProperty("tandem.root", "..")).toAbsolutePath().normalize();
    }

    /** Starts {@code tandem ARGS...}; {@code stdin} is the file to read standard input from, or null. */
    public static CliProcess start(List<String> args) {
        return start(args, Map.of());
    }

    /** Starts {@code tandem ARGS...} with {@code environment} added to this JVM's. */
    public static CliProcess start(List<String> args, Map<String, String> environment) {
        Path jar = repositoryRoot().resolve("tandem-cli/target/tandem.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: build the tandem-cli module first");
        }
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add("--enable-native-access=ALL-UNNAMED"); // as ./tandem runs it
        command.add("-jar");
        command.add(jar.toString());
        command.addAll(args);
        ProcessBuilder builder =
                new ProcessBuilder(command).directory(repositoryRoot().toFile());
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().putAll(environment);
        try {
            return new CliProcess(builder.start());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs {@code tandem ARGS...} to its end and returns its exit status. */
    public static CliProcess run(List<String> args) {
        CliProcess cli = start(args);
        cli.awaitExit(Duration.ofSeconds(60));
        return cli;
    }

    private static Thread collect(BufferedReader reader, List<String> lines) {
        return Thread.ofVirtual().start(() -> {
            try (reader) {
                String line;
                while ((line = reader.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // the process ended
            }
        });
    }

    /** Waits until {@code count} lines of stdout contain {@code text}. */
    public void awaitStdout(String text, int count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (stdout.stream().filter(line -> line.contains(text)).count() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(count + " stdout line(s) with '" + text + "' expected; stdout was:\n"
                        + String.join("\n", stdout));
            }
            TandemFixture.sleep(Duration.ofMillis(50));
        }
    }

    /** Waits for a line of stderr matching {@code pattern} and returns its match. */
    public Matcher awaitStderr(Pattern pattern, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (String line : stderr) {
                Matcher matcher = pattern.matcher(line);
                if (matcher.find()) {
                    return matcher;
                }
            }
            if (!process.isAlive() && System.nanoTime() > deadline - timeout.toNanos() + 1_000_000_000L) {
                break;
            }
            TandemFixture.sleep(Duration.ofMillis(20));
        }
        throw new AssertionError("no stderr line matching " + pattern + "; stderr was:\n" + String.join("\n", stderr));
    }

    public int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(
                        "tandem did not exit within " + timeout + "; stderr:\n" + String.join("\n", stderr));
            }
            for (Thread reader : readers) {
                reader.join(5_000);
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public Process process() {
        return process;
    }

    public String stdout() {
        return String.join("\n", stdout);
    }

    public String stderr() {
        return String.join("\n", stderr);
    }

    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }
}
