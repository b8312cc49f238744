package dev.tandem.core.engine;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** What actually failed, once the wrappers of asynchronous completion are taken off. */
public final class Failures {
    private Failures() {}

    /** {@code error} without the CompletionException and ExecutionException around it. */
    public static Throwable unwrap(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }
}
