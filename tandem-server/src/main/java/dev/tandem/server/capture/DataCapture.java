package dev.tandem.server.capture;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.core.stage.Payload;
import dev.tandem.runtime.storage.ObjectStore;
import dev.tandem.runtime.storage.S3Location;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Data capture, off the request path: a sampled invocation becomes a record in a bounded queue,
 * and one background thread writes the records as JSON Lines in SageMaker's capture layout, under
 * {@code DESTINATION/ENDPOINT/VARIANT/yyyy/MM/dd/HH/}. When the queue is full the record is
 * dropped and counted — never the request.
 */
public final class DataCapture implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DataCapture.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter HOUR_PATH =
            DateTimeFormatter.ofPattern("yyyy/MM/dd/HH").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter OBJECT_TIME =
            DateTimeFormatter.ofPattern("mm-ss-SSS").withZone(ZoneOffset.UTC);

    private final ConcurrentMap<String, CaptureSettings> endpoints = new ConcurrentHashMap<>();
    /** How long the writer waits for a record before it looks at uploads and close again. */
    private static final long IDLE_WAIT_MILLIS = 100;

    /**
     * Unbounded as a queue, bounded by {@link #queued}; offering holds its put lock for an instant
     * and never waits on the writer, which takes from the other end and sleeps on it when empty.
     */
    private final LinkedBlockingQueue<Captured> queue = new LinkedBlockingQueue<>();

    private final AtomicInteger queued = new AtomicInteger();
    private final int capacity;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private final String fileName;
    private final ObjectStore objects;
    private final Path staging;
    private final Duration uploadEvery;
    private final Thread writer;
    private volatile boolean closed;

    private record Captured(
            String endpoint,
            String variant,
            CaptureSettings settings,
            String eventId,
            @Nullable String inferenceId,
            Instant time,
            @Nullable String inputType,
            Payload input,
            @Nullable String outputType,
            Payload output) {}

    /**
     * @param staging where records bound for {@code s3://} destinations wait for their upload
     * @param uploadEvery how often staged records are uploaded (as one new object per file)
     */
    public DataCapture(int capacity, ObjectStore objects, Path staging, Duration uploadEvery) {
        this.capacity = capacity;
        this.objects = objects;
        this.staging = staging;
        this.uploadEvery = uploadEvery;
        this.fileName = "capture-" + ProcessHandle.current().pid() + "-" + System.currentTimeMillis() + ".jsonl";
        this.writer = Thread.ofVirtual().name("data-capture").start(this::write);
    }

    /** Captures the invocations of {@code endpoint} as {@code settings} say; null stops capturing. */
    public void configure(String endpoint, @Nullable CaptureSettings settings) {
        if (settings == null) {
            endpoints.remove(endpoint);
        } else {
            endpoints.put(endpoint, settings);
        }
    }

    /**
     * Offers one finished invocation; returns at once whatever happens.
     *
     * @param inferenceId the client's {@code X-Amzn-SageMaker-Inference-Id}, kept in the record's
     *     {@code eventMetadata} as SageMaker does (to join the record with ground truth later)
     */
    public void offer(
            String endpoint,
            String variant,
            String eventId,
            @Nullable String inferenceId,
            @Nullable String inputType,
            Payload input,
            @Nullable String outputType,
            Payload output) {
        CaptureSettings settings = endpoints.get(endpoint);
        if (settings == null || ThreadLocalRandom.current().nextInt(100) >= settings.samplingPercentage()) {
            return;
        }
        Captured record = new Captured(
                endpoint, variant, settings, eventId, inferenceId, Instant.now(), inputType, input, outputType, output);
        if (queued.incrementAndGet() > capacity) {
            queued.decrementAndGet();
            dropped.incrementAndGet();
            return;
        }
        queue.add(record);
    }

    /** Records dropped because the queue was full. */
    public long dropped() {
        return dropped.get();
    }

    /** Records written so far. */
    public long written() {
        return written.get();
    }

    private void write() {
        Map<Path, BufferedWriter> files = new HashMap<>();
        Map<Path, S3Location> uploads = new HashMap<>();
        String openHour = "";
        long lastUpload = System.nanoTime();
        try {
            while (!closed || !queue.isEmpty()) {
                if (!uploads.isEmpty() && System.nanoTime() - lastUpload > uploadEvery.toNanos()) {
                    upload(files, uploads);
                    lastUpload = System.nanoTime();
                }
                Captured record = queue.poll();
                if (record == null) {
                    // Nothing waiting: what is written reaches the files, then the writer waits for
                    // the next record (or, now and then, for an upload that is due, or for close).
                    flushAll(files);
                    record = queue.poll(IDLE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
                    if (record == null) {
                        continue;
                    }
                }
                queued.decrementAndGet();
                try {
                    String hour = HOUR_PATH.format(record.time());
                    if (!hour.equals(openHour)) {
                        // A new hour: the files of the last one are complete.
                        upload(files, uploads);
                        closeAll(files);
                        openHour = hour;
                    }
                    CaptureSettings settings = record.settings();
                    Path folder = settings.remote() == null
                            ? settings.destination()
                            : staging.resolve(settings.destination());
                    Path file = folder.resolve(record.endpoint())
                            .resolve(record.variant())
                            .resolve(hour)
                            .resolve(fileName);
                    BufferedWriter out = files.get(file);
                    if (out == null) {
                        Files.createDirectories(file.getParent());
                        out = Files.newBufferedWriter(
                                file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                        files.put(file, out);
                        if (settings.remote() != null) {
                            uploads.put(
                                    file,
                                    settings.remote().child(record.endpoint() + "/" + record.variant() + "/" + hour));
                        }
                    }
                    out.write(json(record));
                    out.newLine();
                    written.incrementAndGet();
                } catch (IOException | RuntimeException e) {
                    dropped.incrementAndGet();
                    LOG.warn("Data capture for endpoint {} failed: {}", record.endpoint(), e.toString());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            upload(files, uploads);
            closeAll(files);
        }
    }

    /**
     * Uploads every staged file as a new object under its destination (S3 objects cannot be
     * appended to), then deletes it; records of a failed upload stay staged for the next try.
     */
    private void upload(Map<Path, BufferedWriter> files, Map<Path, S3Location> uploads) {
        for (var it = uploads.entrySet().iterator(); it.hasNext(); ) {
            var staged = it.next();
            BufferedWriter out = files.remove(staged.getKey());
            try {
                if (out != null) {
                    out.close();
                }
                S3Location object =
                        staged.getValue().child(OBJECT_TIME.format(Instant.now()) + "-" + UUID.randomUUID() + ".jsonl");
                objects.upload(staged.getKey(), object);
                Files.delete(staged.getKey());
                it.remove();
            } catch (IOException | RuntimeException e) {
                LOG.warn("Uploading captured records to {} failed: {}", staged.getValue(), e.toString());
            }
        }
    }

    private static void closeAll(Map<Path, BufferedWriter> files) {
        for (BufferedWriter out : files.values()) {
            try {
                out.close();
            } catch (IOException e) {
                LOG.warn("closing a capture file failed: {}", e.toString());
            }
        }
        files.clear();
    }

    private static void flushAll(Map<Path, BufferedWriter> files) {
        for (BufferedWriter out : files.values()) {
            try {
                out.flush();
            } catch (IOException e) {
                LOG.warn("flushing a capture file failed: {}", e.toString());
            }
        }
    }

    /** SageMaker's capture record: captureData (endpointInput, endpointOutput), eventMetadata, eventVersion. */
    private static String json(Captured record) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode data = root.putObject("captureData");
        if (record.settings().input()) {
            side(data.putObject("endpointInput"), "INPUT", record.settings(), record.inputType(), record.input());
        }
        if (record.settings().output()) {
            side(data.putObject("endpointOutput"), "OUTPUT", record.settings(), record.outputType(), record.output());
        }
        ObjectNode metadata = root.putObject("eventMetadata");
        metadata.put("eventId", record.eventId());
        if (record.inferenceId() != null) {
            metadata.put("inferenceId", record.inferenceId());
        }
        metadata.put("inferenceTime", record.time().toString());
        root.put("eventVersion", "0");
        return root.toString();
    }

    private static void side(
            ObjectNode node, String mode, CaptureSettings settings, @Nullable String type, Payload body) {
        String encoding = settings.encoding(type);
        node.put("observedContentType", type == null ? "" : type);
        node.put("mode", mode);
        node.put(
                "data",
                encoding.equals("BASE64") ? Base64.getEncoder().encodeToString(body.unsafeArray()) : body.asUtf8());
        node.put("encoding", encoding);
    }

    /** Writes what is queued, then stops. */
    @Override
    public void close() {
        closed = true;
        try {
            writer.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
