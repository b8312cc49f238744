package dev.tandem.server.features.offline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.server.features.FeatureValue;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The offline store's write-ahead record: every row is appended here, one JSON line, before the
 * call that wrote it is answered, and stays until it is in a published Parquet file. Rows go to
 * the open segment; {@link #seal} closes it and opens the next, and a sealed segment never changes
 * again, so the files made from it can be made again under the same names after a crash.
 *
 * <p>An append is a write to the file without a sync: it survives the server's process being
 * killed (the kernel holds the page), not the machine losing power — the trade every log-shipping
 * agent makes for a write that costs microseconds. A line cut short by a kill is the last of its
 * segment and is skipped when read.
 */
final class OfflineJournal implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OfflineJournal.class);
    private static final String PREFIX = "segment-";
    private static final String SUFFIX = ".jsonl";

    private final Path folder;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();
    private long nextSequence;
    private Segment open;
    private FileChannel channel;

    /**
     * A segment file, named by when it was opened, its sequence and a random part: the files made
     * from it are named after it, so no two segments may ever share a name — not after a restart
     * within the same millisecond, nor with a clock set back.
     */
    record Segment(String id, Path file, long sequence) {}

    OfflineJournal(Path folder, Clock clock) {
        this.folder = folder;
        this.clock = clock;
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the offline store's journal " + folder, e);
        }
        this.nextSequence =
                segments().stream().mapToLong(Segment::sequence).max().orElse(0) + 1;
        openNext();
    }

    /** Appends {@code row} to the open segment. */
    synchronized void append(OfflineRow row) {
        ByteBuffer line = ByteBuffer.wrap(encode(row));
        try {
            while (line.hasRemaining()) {
                channel.write(line);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to the offline store's journal " + open.file(), e);
        }
    }

    /**
     * Closes the open segment (when it holds rows) and opens the next.
     *
     * @return every sealed segment waiting to be written, oldest first
     */
    synchronized List<Segment> seal() {
        try {
            if (channel.size() > 0) {
                channel.close();
                openNext();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot seal the offline store's journal " + open.file(), e);
        }
        Segment current = open;
        return segments().stream().filter(s -> !s.equals(current)).toList();
    }

    /** The rows of a sealed segment, in the order written; a line cut short at its end is skipped. */
    List<OfflineRow> read(Segment segment) {
        List<OfflineRow> rows = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(segment.file(), StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                try {
                    rows.add(decode(json.readTree(line)));
                } catch (IOException | RuntimeException e) {
                    // Only the last line can be cut short (a kill mid-append); anything else is damage.
                    LOG.warn(
                            "Skipping line {} of {}, which cannot be read: {}", number, segment.file(), e.getMessage());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the offline store's journal " + segment.file(), e);
        }
        return rows;
    }

    /** Forgets a segment whose rows are all published. */
    void delete(Segment segment) {
        try {
            Files.deleteIfExists(segment.file());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + segment.file(), e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            channel.close();
            if (Files.size(open.file()) == 0) {
                Files.delete(open.file());
            }
        } catch (IOException e) {
            LOG.warn("Closing the offline store's journal failed: {}", e.getMessage());
        }
    }

    private void openNext() {
        long sequence = nextSequence++;
        String id = PREFIX + clock.millis() + "-" + sequence + "-"
                + java.util.HexFormat.of()
                        .toHexDigits(
                                java.util.concurrent.ThreadLocalRandom.current().nextLong());
        Path file = folder.resolve(id + SUFFIX);
        try {
            channel = FileChannel.open(
                    file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the offline store's journal " + file, e);
        }
        open = new Segment(id, file, sequence);
    }

    /** The segment files in the folder, oldest first. */
    private List<Segment> segments() {
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(OfflineJournal::segment)
                    .filter(s -> s != null)
                    .sorted(Comparator.comparingLong(Segment::sequence))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the offline store's journal " + folder, e);
        }
    }

    private static @org.jspecify.annotations.Nullable Segment segment(Path file) {
        String name = file.getFileName().toString();
        if (!name.startsWith(PREFIX) || !name.endsWith(SUFFIX)) {
            return null;
        }
        String id = name.substring(0, name.length() - SUFFIX.length());
        String[] parts = id.split("-", -1);
        try {
            return parts.length == 4 ? new Segment(id, file, Long.parseLong(parts[2])) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private byte[] encode(OfflineRow row) {
        ObjectNode node = json.createObjectNode();
        node.put("group", row.group());
        node.put("location", row.location());
        node.put("eventTime", row.eventTime().toString());
        node.put("apiInvocationTime", row.apiInvocationTime().toString());
        node.put("deleted", row.deleted());
        row.features().forEach(value -> node.withArrayProperty("record").add(value.toJson()));
        try {
            byte[] text = json.writeValueAsBytes(node);
            byte[] line = new byte[text.length + 1];
            System.arraycopy(text, 0, line, 0, text.length);
            line[text.length] = '\n';
            return line;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static OfflineRow decode(JsonNode node) {
        List<FeatureValue> features = new ArrayList<>();
        node.path("record").forEach(value -> features.add(FeatureValue.fromJson(value)));
        return new OfflineRow(
                node.get("group").asText(),
                node.get("location").asText(),
                features,
                Instant.parse(node.get("eventTime").asText()),
                Instant.parse(node.get("apiInvocationTime").asText()),
                node.get("deleted").asBoolean());
    }
}
