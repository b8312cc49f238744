package dev.tandem.server.auth;

/**
 * A request that failed authentication. {@link #code()} is AWS's error code for the case, which
 * both wire protocols send with status 403.
 */
public final class AuthenticationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String code;

    AuthenticationException(String code, String message) {
        super(message);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
