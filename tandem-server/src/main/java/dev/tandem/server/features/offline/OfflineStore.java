package dev.tandem.server.features.offline;

import dev.tandem.core.stage.Payload;
import dev.tandem.runtime.storage.Location;
import dev.tandem.runtime.storage.Locations;
import dev.tandem.server.features.FeatureGroup;
import dev.tandem.server.features.FeatureGroups;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The feature groups' offline stores: every write and delete is appended to a write-ahead {@link
 * OfflineJournal} as it is answered, and {@link #flush} turns what the journal holds into
 * append-only Parquet files under each group's {@code ResolvedOutputS3Uri}, in SageMaker's layout:
 * {@code data/year=YYYY/month=MM/day=DD/hour=HH/<latest event time>_<16 characters>.parquet},
 * partitioned by event time.
 *
 * <p>One file per group and hour of each journal segment, named from the segment, so that a flush
 * cut short by a crash is done again under the same names: files are replaced, never doubled. A
 * segment is forgotten only once all its files are published; a group whose location refuses
 * writes keeps its rows in the journal, is reported {@linkplain #blockedReason blocked}, and is
 * tried again at the next flush.
 */
public final class OfflineStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OfflineStore.class);
    private static final DateTimeFormatter FILE_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private final OfflineJournal journal;
    private final FeatureGroups groups;
    private final Locations locations;
    private final Clock clock;
    private final Path scratch;
    /** Why a group's last flush failed, by group name; absent once one succeeds. */
    private final Map<String, String> blocked = new ConcurrentHashMap<>();
    /**
     * The groups rows were appended for, by location: a group deleted before its rows are flushed
     * still has them written, in its columns (SageMaker keeps a deleted group's offline data too).
     */
    private final Map<String, FeatureGroup> appendedFor = new ConcurrentHashMap<>();

    private OfflineStore(OfflineJournal journal, FeatureGroups groups, Locations locations, Clock clock, Path scratch) {
        this.journal = journal;
        this.groups = groups;
        this.locations = locations;
        this.clock = clock;
        this.scratch = scratch;
    }

    /** Opens the journal in {@code folder}; rows a previous server left there go out at the first flush. */
    public static OfflineStore open(Path folder, FeatureGroups groups, Locations locations, Clock clock) {
        Path scratch = folder.resolve("writing");
        try {
            Files.createDirectories(scratch);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + scratch, e);
        }
        return new OfflineStore(
                new OfflineJournal(folder.resolve("journal"), clock), groups, locations, clock, scratch);
    }

    /** Records a row for {@code group}'s offline store; it is in the journal when this returns. */
    public void append(FeatureGroup group, OfflineRow row) {
        appendedFor.put(row.location(), group);
        journal.append(row);
    }

    /** Why the group's offline store could not be written at the last flush; empty when it could. */
    public Optional<String> blockedReason(String group) {
        return Optional.ofNullable(blocked.get(group));
    }

    /**
     * Writes every row the journal holds to Parquet files and forgets the segments written.
     *
     * @return how many rows were published
     */
    public synchronized int flush() {
        int published = 0;
        for (OfflineJournal.Segment segment : journal.seal()) {
            Optional<Integer> rows = publish(segment);
            if (rows.isPresent()) {
                journal.delete(segment);
                published += rows.get();
            }
        }
        return published;
    }

    /** One file's worth of rows: a group's rows of one hour of event time. */
    private record Partition(String group, String location, Instant hour) {}

    /** Publishes a segment's files; empty when one of them failed, so that it is kept. */
    private Optional<Integer> publish(OfflineJournal.Segment segment) {
        Map<Partition, List<OfflineRow>> partitions = new LinkedHashMap<>();
        for (OfflineRow row : journal.read(segment)) {
            Partition partition =
                    new Partition(row.group(), row.location(), row.eventTime().truncatedTo(ChronoUnit.HOURS));
            partitions.computeIfAbsent(partition, p -> new ArrayList<>()).add(row);
        }
        Instant writeTime = clock.instant();
        boolean complete = true;
        int published = 0;
        for (Map.Entry<Partition, List<OfflineRow>> entry : partitions.entrySet()) {
            Partition partition = entry.getKey();
            Optional<FeatureGroup> group = columnsOf(partition);
            if (group.isEmpty()) {
                LOG.warn(
                        "Dropping {} offline row(s) of feature group {}: it was deleted before they were written,"
                                + " and its features are no longer known since a restart",
                        entry.getValue().size(),
                        partition.group());
                continue;
            }
            try {
                publish(segment, partition, group.get(), entry.getValue(), writeTime);
                blocked.remove(partition.group());
                published += entry.getValue().size();
            } catch (RuntimeException | IOException e) {
                complete = false;
                String reason = "Writing to " + partition.location() + " failed: " + e.getMessage();
                blocked.put(partition.group(), reason);
                LOG.warn(
                        "Offline store of feature group {}: {}; its rows stay in the journal",
                        partition.group(),
                        reason);
            }
        }
        return complete ? Optional.of(published) : Optional.empty();
    }

    /** The group whose features make the partition's columns: as it is now, or as it was when deleted. */
    private Optional<FeatureGroup> columnsOf(Partition partition) {
        FeatureGroup current = groups.find(partition.group());
        if (current != null && partition.location().equals(current.offlineUri())) {
            return Optional.of(current);
        }
        return Optional.ofNullable(appendedFor.get(partition.location()));
    }

    private void publish(
            OfflineJournal.Segment segment,
            Partition partition,
            FeatureGroup group,
            List<OfflineRow> rows,
            Instant writeTime)
            throws IOException {
        String name = fileName(segment, partition, rows);
        Path file = scratch.resolve(name);
        try {
            ParquetRows.write(file, group, rows, writeTime);
            Location target =
                    Location.parse(partition.location() + "/" + folder(partition.hour()) + name, "ResolvedOutputS3Uri");
            locations.publish(target, Payload.spooled(file, Files.size(file)), "application/vnd.apache.parquet");
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** {@code year=YYYY/month=MM/day=DD/hour=HH/} of the rows' event time. */
    static String folder(Instant hour) {
        ZonedDateTime time = hour.atZone(ZoneOffset.UTC);
        return String.format(
                java.util.Locale.ROOT,
                "year=%04d/month=%02d/day=%02d/hour=%02d/",
                time.getYear(),
                time.getMonthValue(),
                time.getDayOfMonth(),
                time.getHour());
    }

    /**
     * SageMaker's {@code <latest event time>_<16 characters>.parquet}; the characters come from the
     * segment and the partition, so that writing the same segment again gives the same name.
     */
    private static String fileName(OfflineJournal.Segment segment, Partition partition, List<OfflineRow> rows) {
        Instant latest =
                rows.stream().map(OfflineRow::eventTime).max(Instant::compareTo).orElseThrow();
        String key = segment.id() + "\n" + partition.group() + "\n" + partition.location() + "\n" + partition.hour();
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return FILE_TIME.format(latest) + "_" + HexFormat.of().formatHex(digest, 0, 8) + ".parquet";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** Writes what the journal holds, then closes it. */
    @Override
    public synchronized void close() {
        try {
            int rows = flush();
            if (rows > 0) {
                LOG.info("Wrote {} offline feature row(s) on the way out", rows);
            }
        } catch (RuntimeException e) {
            LOG.warn("The last offline flush failed; the rows stay in the journal for the next start", e);
        }
        journal.close();
    }
}
