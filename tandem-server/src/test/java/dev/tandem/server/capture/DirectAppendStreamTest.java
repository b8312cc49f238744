package dev.tandem.server.capture;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectAppendStreamTest {
    @TempDir
    Path folder;

    private final DirectAppendStream.Staging staging = new DirectAppendStream.Staging();

    @Test
    void aFileOnDiskIsWrittenPastThePageCache() throws Exception {
        // The test's folder is on the machine's disk (ext4 on the machines this project runs on),
        // which takes direct I/O; only tmpfs on old kernels and some overlays refuse it.
        try (OutputStream out = DirectAppendStream.open(folder.resolve("capture.jsonl"), staging)) {
            assertThat(out).isInstanceOf(DirectAppendStream.class);
        }
    }

    @Test
    void afterEveryFlushTheFileHoldsExactlyTheBytesWritten() throws Exception {
        // Lines of every length, flushed at random points: whole blocks go direct, the partial last
        // block through the page cache, and the next direct write covers it again.
        Path file = folder.resolve("capture.jsonl");
        Random random = new Random(7);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        try (OutputStream out = DirectAppendStream.open(file, staging)) {
            for (int i = 0; i < 3000; i++) {
                byte[] line = line(random, random.nextInt(random.nextInt(20) == 0 ? 20_000 : 1500));
                out.write(line);
                expected.write(line);
                if (random.nextInt(10) == 0) {
                    out.flush();
                    assertThat(Files.readAllBytes(file)).as("after line %d", i).isEqualTo(expected.toByteArray());
                }
            }
        }
        assertThat(Files.readAllBytes(file)).isEqualTo(expected.toByteArray());
        assertThat(expected.size()).isGreaterThan(3 * DirectAppendStream.STAGING_BYTES);
    }

    @Test
    void oneWriteLargerThanTheStagingBufferIsWrittenWhole() throws Exception {
        Path file = folder.resolve("large.jsonl");
        Random random = new Random(11);
        byte[] large = line(random, 3 * DirectAppendStream.STAGING_BYTES + 1234);
        byte[] small = line(random, 100);
        try (OutputStream out = DirectAppendStream.open(file, staging)) {
            out.write(small);
            out.write(large);
            out.write(small);
        }
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.write(small);
        expected.write(large);
        expected.write(small);
        assertThat(Files.readAllBytes(file)).isEqualTo(expected.toByteArray());
    }

    @Test
    void anExistingFileIsAppendedToFromItsPartialLastBlock() throws Exception {
        // A staged file written again after a failed upload, or a file opened again within the hour.
        Path file = folder.resolve("existing.jsonl");
        byte[] before = line(new Random(3), 5000);
        Files.write(file, before);
        byte[] after = line(new Random(5), 9000);
        try (OutputStream out = DirectAppendStream.open(file, staging)) {
            out.write(after, 0, 10);
            out.flush();
            assertThat(Files.size(file)).isEqualTo(before.length + 10L);
            out.write(after, 10, after.length - 10);
        }
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.write(before);
        expected.write(after);
        assertThat(Files.readAllBytes(file)).isEqualTo(expected.toByteArray());

        // And a file of whole blocks only, closed with nothing kept.
        Path aligned = folder.resolve("aligned.jsonl");
        byte[] blocks = line(new Random(9), 8191);
        Files.write(aligned, blocks);
        try (OutputStream out = DirectAppendStream.open(aligned, staging)) {
            out.write('x');
        }
        assertThat(Files.size(aligned)).isEqualTo(8193);
        assertThat(Files.readAllBytes(aligned)[8192]).isEqualTo((byte) 'x');
    }

    @Test
    void onTmpfsTheFileHoldsTheSameBytesWhicheverStreamItGets() throws Exception {
        // tmpfs is where the buffered fallback is likeliest (kernels before 6.6 refuse O_DIRECT
        // there); direct or not, the bytes are the same.
        Path shm = Path.of("/dev/shm");
        Path dir = Files.isDirectory(shm) && Files.isWritable(shm)
                ? Files.createTempDirectory(shm, "tandem-capture-")
                : folder;
        Path file = dir.resolve("capture.jsonl");
        try {
            byte[] line = line(new Random(13), 70_000);
            try (OutputStream out = DirectAppendStream.open(file, staging)) {
                out.write(line);
                out.flush();
                assertThat(Files.readAllBytes(file)).isEqualTo(line);
            }
        } finally {
            Files.deleteIfExists(file);
            if (!dir.equals(folder)) {
                Files.deleteIfExists(dir);
            }
        }
    }

    @Test
    void aFileSystemThatRefusesDirectWritesGetsTheRestThroughThePageCache() throws Exception {
        // Opened for direct I/O, yet its direct writes fail: the file goes on through the page
        // cache, and no byte is lost or doubled.
        Path file = folder.resolve("refusing.jsonl");
        FailingChannel direct = new FailingChannel(FileChannel.open(file, CREATE, WRITE), "Invalid argument");
        direct.failing = true;
        Random random = new Random(19);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        try (OutputStream out =
                new DirectAppendStream(file, direct, FileChannel.open(file, READ, WRITE), 4096, staging)) {
            while (expected.size() < 3 * DirectAppendStream.STAGING_BYTES) {
                byte[] line = line(random, random.nextInt(3000));
                out.write(line);
                expected.write(line);
            }
            out.flush();
            assertThat(Files.readAllBytes(file)).isEqualTo(expected.toByteArray());
        }
        assertThat(Files.readAllBytes(file)).isEqualTo(expected.toByteArray());
        assertThat(direct.failedWrites)
                .as("direct writes tried after the first refusal")
                .isEqualTo(1);
    }

    @Test
    void aFullDiskRefusesRecordsOnceAMegabyteWaitsAndKeepsTheLinesWholeWhenItHasRoomAgain() throws Exception {
        Path file = folder.resolve("full.jsonl");
        FailingChannel direct = new FailingChannel(FileChannel.open(file, CREATE, WRITE), "No space left on device");
        FailingChannel tail = new FailingChannel(FileChannel.open(file, READ, WRITE), "No space left on device");
        direct.failing = true;
        tail.failing = true;
        ByteArrayOutputStream accepted = new ByteArrayOutputStream();
        Random random = new Random(23);
        try (OutputStream out = new DirectAppendStream(file, direct, tail, 4096, staging)) {
            int refused = 0;
            for (int i = 0; i < 3000; i++) {
                byte[] line = line(random, 999);
                try {
                    out.write(line);
                    accepted.write(line);
                } catch (IOException full) {
                    refused++;
                }
            }
            // What waits in memory is bounded: a megabyte and the record that crossed it.
            assertThat(accepted.size())
                    .isBetween(DirectAppendStream.STAGING_BYTES, DirectAppendStream.STAGING_BYTES + 1000);
            assertThat(refused).isEqualTo(3000 - accepted.size() / 1000);
            assertThat(Files.size(file)).isZero();

            direct.failing = false;
            tail.failing = false;
            byte[] after = line(random, 999);
            out.write(after);
            accepted.write(after);
        }
        assertThat(Files.readAllBytes(file)).isEqualTo(accepted.toByteArray());
    }

    /** A line of printable ASCII ending in a line feed, as capture records are. */
    private static byte[] line(Random random, int length) {
        byte[] line = new byte[length + 1];
        for (int i = 0; i < length; i++) {
            line[i] = (byte) (' ' + random.nextInt(95));
        }
        line[length] = '\n';
        return line;
    }
}
