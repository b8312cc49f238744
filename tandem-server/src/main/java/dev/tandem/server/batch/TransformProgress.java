package dev.tandem.server.batch;

import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/** How far a running job has come; read by the command line's progress bar. */
public final class TransformProgress {
    /** Told of each step as it is counted: how a Spark task passes its progress on to the driver. */
    public interface Listener {
        void read(long bytes);

        void transformed(int records);
    }

    private final @Nullable Listener listener;
    private final AtomicLong filesTotal = new AtomicLong();
    private final AtomicLong filesDone = new AtomicLong();
    private final AtomicLong filesFailed = new AtomicLong();
    private final AtomicLong bytesTotal = new AtomicLong();
    private final AtomicLong bytesRead = new AtomicLong();
    private final AtomicLong records = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();

    public TransformProgress() {
        this(null);
    }

    public TransformProgress(@Nullable Listener listener) {
        this.listener = listener;
    }

    void inputs(int files, long bytes) {
        filesTotal.set(files);
        bytesTotal.set(bytes);
    }

    void fileDone(boolean failed) {
        (failed ? filesFailed : filesDone).incrementAndGet();
    }

    void read(long bytes) {
        bytesRead.addAndGet(bytes);
        if (listener != null) {
            listener.read(bytes);
        }
    }

    void transformed(int recordCount) {
        records.addAndGet(recordCount);
        requests.incrementAndGet();
        if (listener != null) {
            listener.transformed(recordCount);
        }
    }

    /** A consistent-enough view of the counters. */
    public Snapshot snapshot() {
        return new Snapshot(
                filesTotal.get(),
                filesDone.get(),
                filesFailed.get(),
                bytesTotal.get(),
                bytesRead.get(),
                records.get(),
                requests.get());
    }

    /**
     * The counters at one moment.
     *
     * @param records records whose output has been written
     */
    public record Snapshot(
            long filesTotal,
            long filesDone,
            long filesFailed,
            long bytesTotal,
            long bytesRead,
            long records,
            long requests) {}
}
