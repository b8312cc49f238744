package dev.tandem.stages.transform;

/** A cell a step cannot transform; the transformer adds the row and column to the message. */
final class CellException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CellException(String message) {
        super(message, null, false, false);
    }
}
