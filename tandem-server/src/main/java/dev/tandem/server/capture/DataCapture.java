package dev.tandem.server.capture;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.core.stage.Payload;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ThreadLocalRandom;
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

    private final ConcurrentMap<String, CaptureSettings> endpoints = new ConcurrentHashMap<>();
    /** Lock-free, so that request threads never wait on each other or on the writer to offer. */
    private final ConcurrentLinkedQueue<Captured> queue = new ConcurrentLinkedQueue<>();

    private final AtomicInteger queued = new AtomicInteger();
    private final int capacity;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private final String fileName;
    private final Thread writer;
    private volatile boolean closed;

    private record Captured(
            String endpoint,
            String variant,
            CaptureSettings settings,
            String eventId,
            Instant time,
            @Nullable String inputType,
            Payload input,
            @Nullable String outputType,
            Payload output) {}

    public DataCapture(int capacity) {
        this.capacity = capacity;
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

    /** Offers one finished invocation; returns at once whatever happens. */
    public void offer(
            String endpoint,
            String variant,
            String eventId,
            @Nullable String inputType,
            Payload input,
            @Nullable String outputType,
            Payload output) {
        CaptureSettings settings = endpoints.get(endpoint);
        if (settings == null || ThreadLocalRandom.current().nextInt(100) >= settings.samplingPercentage()) {
            return;
        }
        Captured record =
                new Captured(endpoint, variant, settings, eventId, Instant.now(), inputType, input, outputType, output);
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
        String openHour = "";
        try {
            while (!closed || !queue.isEmpty()) {
                Captured record = queue.poll();
                if (record == null) {
                    flushAll(files);
                    Thread.sleep(20);
                    continue;
                }
                queued.decrementAndGet();
                try {
                    String hour = HOUR_PATH.format(record.time());
                    if (!hour.equals(openHour)) {
                        // A new hour: the files of the last one are complete.
                        closeAll(files);
                        openHour = hour;
                    }
                    Path file = record.settings()
                            .destination()
                            .resolve(record.endpoint())
                            .resolve(record.variant())
                            .resolve(hour)
                            .resolve(fileName);
                    BufferedWriter out = files.get(file);
                    if (out == null) {
                        Files.createDirectories(file.getParent());
                        out = Files.newBufferedWriter(
                                file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                        files.put(file, out);
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
            closeAll(files);
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
