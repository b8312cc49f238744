package dev.tandem.cli;

import java.util.concurrent.CountDownLatch;

/**
 * How a long-running command ends: on Ctrl-C or SIGTERM, the JVM's shutdown closes what the command
 * started — servers stop their containers, operators give up their lead — before the process exits.
 */
final class UntilStopped {
    private final CountDownLatch stopped = new CountDownLatch(1);

    /** Closes {@code resources}, in order, when the process is asked to stop. */
    UntilStopped(AutoCloseable... resources) {
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            for (AutoCloseable resource : resources) {
                                try {
                                    resource.close();
                                } catch (Exception e) {
                                    System.err.println("error while stopping: " + e.getMessage());
                                }
                            }
                            stopped.countDown();
                        },
                        "tandem-shutdown"));
    }

    /** Blocks until every resource has been closed. */
    void await() throws InterruptedException {
        stopped.await();
    }
}
