package dev.tandem.cli;

import java.io.Console;

/** Whether the command line runs on a terminal, where progress redrawn in place reads well. */
final class Terminal {
    private Terminal() {}

    /** JDK 22 and newer always give a console, and say with {@code isTerminal()} whether it is one. */
    @SuppressWarnings("SystemConsoleNull")
    static boolean attached() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true; // JDK 21: a console is a terminal
        }
    }
}
