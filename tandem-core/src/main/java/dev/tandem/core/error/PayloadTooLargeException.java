package dev.tandem.core.error;

/** A request body over the configured limit, refused before any container sees it. */
public class PayloadTooLargeException extends TandemException {
    private static final long serialVersionUID = 1L;

    public PayloadTooLargeException(long limitBytes) {
        super(ErrorKind.PAYLOAD_TOO_LARGE, "Request payload is larger than the maximum of " + limitBytes + " bytes.");
    }
}
