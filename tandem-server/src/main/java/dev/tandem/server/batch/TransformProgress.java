package dev.tandem.server.batch;

import java.util.concurrent.atomic.AtomicLong;

/** How far a running job has come; read by the command line's progress bar. */
public final class TransformProgress {
    private final AtomicLong filesTotal = new AtomicLong();
    private final AtomicLong filesDone = new AtomicLong();
    private final AtomicLong filesFailed = new AtomicLong();
    private final AtomicLong bytesTotal = new AtomicLong();
    private final AtomicLong bytesRead = new AtomicLong();
    private final AtomicLong records = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();

    void inputs(int files, long bytes) {
        filesTotal.set(files);
        bytesTotal.set(bytes);
    }

    void fileDone(boolean failed) {
        (failed ? filesFailed : filesDone).incrementAndGet();
    }

    void read(long bytes) {
        bytesRead.addAndGet(bytes);
    }

    void transformed(int recordCount) {
        records.addAndGet(recordCount);
        requests.incrementAndGet();
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
