package dev.tandem.cli;

import java.io.PrintWriter;

/**
 * A long command's progress on standard error: a bar redrawn in place on a terminal, a plain line
 * every two seconds otherwise (a log or a CI job keeps readable lines, not carriage returns).
 */
final class ProgressLine {
    private static final int WIDTH = 24;
    private static final long LINE_EVERY_NANOS = 2_000_000_000L;

    private final PrintWriter err;
    private final boolean terminal;
    private final String label;
    private long lastLine;

    /** @param label what each plain line starts with, e.g. "transform JOB" */
    ProgressLine(PrintWriter err, boolean terminal, String label) {
        this.err = err;
        this.terminal = terminal;
        this.label = label;
    }

    /** Shows {@code text}, with a bar {@code fraction} (0 to 1) full on a terminal. */
    synchronized void show(double fraction, String text) {
        if (terminal) {
            int filled = (int) Math.round(Math.max(0, Math.min(1, fraction)) * WIDTH);
            err.print("\r[" + "#".repeat(filled) + ".".repeat(WIDTH - filled) + "] " + text + "   ");
            err.flush();
        } else if (System.nanoTime() - lastLine > LINE_EVERY_NANOS) {
            lastLine = System.nanoTime();
            err.println(label + ": " + text);
            err.flush();
        }
    }

    /** Ends the bar's line, so that what follows starts on its own. */
    synchronized void end() {
        if (terminal) {
            err.println();
            err.flush();
        }
    }
}
