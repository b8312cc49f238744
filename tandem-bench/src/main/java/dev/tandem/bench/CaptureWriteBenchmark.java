package dev.tandem.bench;

import dev.tandem.core.stage.Payload;
import dev.tandem.runtime.storage.ObjectStore;
import dev.tandem.runtime.storage.S3Settings;
import dev.tandem.server.capture.CaptureSettings;
import dev.tandem.server.capture.DataCapture;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What writing capture records costs the process, against appending the same bytes through the page
 * cache as most loggers do (a 64 KB {@link BufferedOutputStream}, which is how Tandem's capture
 * wrote before its files went past the page cache).
 *
 * <p>Each run writes {@code --records} records of two 512-byte bodies (1.6 KB a line, about 3 GB for
 * the default two million) through {@link DataCapture} as a server does, then the same number of
 * bytes in lines of the same length through the buffered stream, or the other way round in the next
 * round; CPU from {@code /proc/self/stat}, the page cache from {@code /proc/meminfo}. Files are
 * deleted after each run and the next waits {@code --pause} seconds: a server's capture file grows
 * into memory nobody has touched for a while, not into pages another file has just let go.
 */
public final class CaptureWriteBenchmark {
    private CaptureWriteBenchmark() {}

    public static void main(String[] args) throws Exception {
        int records = BenchmarkArgs.option(args, "--records", 2_000_000);
        int rounds = BenchmarkArgs.option(args, "--rounds", 2);
        int pause = BenchmarkArgs.option(args, "--pause", 20);
        // On the disk, not in a tmpfs: the system's temporary folder unless told otherwise.
        Path work = WorkDirectory.create("tandem-capture-write");
        System.out.printf(
                "%,d records of two 512-byte bodies a run, %d s between runs, in %s (%s)%n%n",
                records, pause, work, Files.getFileStore(work).type());
        System.out.println(
                "| round | writer | s | records/s | user µs/record | system µs/record | page cache growth |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- |");
        for (int round = 1; round <= rounds; round++) {
            boolean captureFirst = round % 2 == 1;
            for (int turn = 0; turn < 2; turn++) {
                Thread.sleep(pause * 1000L);
                Path folder = Files.createDirectories(work.resolve("round-" + round + "-" + turn));
                boolean capture = (turn == 0) == captureFirst;
                Run run = capture ? captureRecords(folder, records) : appendThroughPageCache(folder, work, records);
                System.out.printf(
                        "| %d | %s | %.1f | %,.0f | %.2f | %.2f | %,d MB |%n",
                        round,
                        capture ? "data capture" : "the same bytes, buffered",
                        run.seconds(),
                        records / run.seconds(),
                        run.userMicros() / records,
                        run.systemMicros() / records,
                        run.cacheGrowthBytes() >> 20);
                WorkDirectory.removeTree(folder);
            }
        }
    }

    /** CPU and page cache over one run. */
    private record Run(double seconds, double userMicros, double systemMicros, long cacheGrowthBytes) {}

    private static Run captureRecords(Path folder, int records) throws Exception {
        byte[] body = new byte[512];
        new Random(1).nextBytes(body);
        Payload payload = Payload.wrap(body);
        Snapshot before = Snapshot.take();
        try (DataCapture capture = new DataCapture(
                1_000_000,
                new ObjectStore(S3Settings.fromEnvironment(Map.of())),
                folder.resolve("staging"),
                Duration.ofHours(1))) {
            capture.configure(
                    "ep", new CaptureSettings(100, true, true, folder.resolve("captured"), null, Set.of(), Set.of()));
            for (int offered = 0; offered < records; ) {
                // Never more than a server's worth of records waiting (about a second's at 20k req/s).
                if (offered - capture.written() < 20_000) {
                    String type = "application/octet-stream";
                    capture.offer("ep", "AllTraffic", "event-" + offered, null, type, payload, type, payload);
                    offered++;
                } else {
                    Thread.sleep(1);
                }
            }
            while (capture.written() < records) {
                Thread.sleep(1);
            }
            if (capture.dropped() > 0) {
                throw new IllegalStateException(capture.dropped() + " records dropped");
            }
        }
        return before.until(Snapshot.take());
    }

    /** The bytes {@link #captureRecords} would write, in lines of the same length, through the page cache. */
    private static Run appendThroughPageCache(Path folder, Path work, int records) throws Exception {
        long lineBytes = captureLineBytes(work);
        byte[] line = new byte[(int) lineBytes];
        Arrays.fill(line, (byte) 'x');
        line[line.length - 1] = '\n';
        Snapshot before = Snapshot.take();
        try (OutputStream out =
                new BufferedOutputStream(Files.newOutputStream(folder.resolve("lines.jsonl")), 64 * 1024)) {
            for (int i = 0; i < records; i++) {
                out.write(line);
            }
        }
        return before.until(Snapshot.take());
    }

    /** How long a capture record of two 512-byte bodies is, measured by capturing a few. */
    private static long captureLineBytes(Path work) throws Exception {
        Path folder = Files.createDirectories(work.resolve("line-length"));
        try {
            captureRecords(folder, 100);
            try (Stream<Path> files = Files.walk(folder.resolve("captured"))) {
                Path file = files.filter(Files::isRegularFile).findFirst().orElseThrow();
                return Files.size(file) / 100;
            }
        } finally {
            WorkDirectory.removeTree(folder);
        }
    }

    /** The process's CPU times and the machine's page cache at one moment. */
    private record Snapshot(long nanos, ProcStat cpu, long cachedBytes) {
        static Snapshot take() throws IOException {
            long cached = 0;
            for (String meminfo : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (meminfo.startsWith("Cached:")) {
                    cached = 1024 * Long.parseLong(meminfo.replaceAll("[^0-9]", ""));
                }
            }
            return new Snapshot(System.nanoTime(), ProcStat.read(Path.of("/proc/self/stat")), cached);
        }

        Run until(Snapshot after) {
            return new Run(
                    (after.nanos - nanos) / 1e9,
                    (after.cpu.userNanos() - cpu.userNanos()) / 1e3,
                    (after.cpu.systemNanos() - cpu.systemNanos()) / 1e3,
                    after.cachedBytes - cachedBytes);
        }
    }
}
