package dev.tandem.core.error;

/** The endpoint's instances are still starting; the client should retry shortly. */
public class ModelNotReadyException extends TandemException {
    private static final long serialVersionUID = 1L;

    public ModelNotReadyException(String message) {
        super(ErrorKind.MODEL_NOT_READY, message);
    }
}
