package dev.tandem.server.endpoint;

import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A count of container status changes, so that code waiting for a fleet to become healthy wakes
 * when something changed instead of polling. A lock and condition rather than {@code wait}: the
 * waiters are virtual threads.
 */
public final class StatusChanges {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private long generation;

    /** Something changed: a container's status, or a waiter's reason to stop waiting. */
    public void signal() {
        lock.lock();
        try {
            generation++;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The count now; pass it to {@link #awaitAfter} to wait for the next change. */
    public long generation() {
        lock.lock();
        try {
            return generation;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until the count passes {@code seen}, or {@code timeout} passes; true when it changed. */
    public boolean awaitAfter(long seen, Duration timeout) throws InterruptedException {
        long left = timeout.toNanos();
        lock.lock();
        try {
            while (generation == seen) {
                if (left <= 0) {
                    return false;
                }
                left = changed.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }
}
