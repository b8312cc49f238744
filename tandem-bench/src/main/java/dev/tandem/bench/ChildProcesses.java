package dev.tandem.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Starting and stopping the programs a benchmark runs beside it (servers, proxies, stores). */
final class ChildProcesses {
    private ChildProcesses() {}

    /**
     * Waits until {@code process} accepts connections on {@code port} of loopback.
     *
     * @throws IOException naming {@code what} with its log when it exits or does not listen in time
     */
    static void awaitListening(Process process, int port, Duration timeout, String what, Path log)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                new Socket(InetAddress.getLoopbackAddress(), port).close();
                return;
            } catch (IOException notYet) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    process.destroyForcibly();
                    String output = Files.exists(log) ? Files.readString(log) : "(no log)";
                    throw new IOException(what + " did not listen on port " + port + "; its log:\n" + output, notYet);
                }
                Thread.sleep(20);
            }
        }
    }

    /** SIGTERM, then SIGKILL if it has not exited within {@code grace}. */
    static void stop(Process process, Duration grace) {
        process.destroy();
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
