package dev.tandem.server.auth;

import dev.tandem.core.stage.Payload;
import io.vertx.core.http.HttpServerRequest;
import java.time.Clock;
import java.util.Map;

/** Decides whether a request may be served; off unless access keys are configured. */
public interface Authenticator {

    /** Lets every request through: the default, for a server on loopback. */
    Authenticator NONE = (request, body) -> {};

    /**
     * Checks one request, its body read.
     *
     * @throws AuthenticationException when the request may not be served
     */
    void authenticate(HttpServerRequest request, Payload body);

    /** Requires a valid AWS Signature V4 by one of {@code secrets} (secret by access key id). */
    static Authenticator sigV4(Map<String, String> secrets, Clock clock) {
        SigV4Verifier verifier = new SigV4Verifier(secrets, clock);
        return (request, body) -> verifier.verify(
                new SigV4Verifier.SignedRequest(
                        request.method().name(), request.path(), request.query(), name -> header(request, name)),
                body);
    }

    /** A request header; over HTTP/2 the host travels as the :authority pseudo-header instead. */
    private static java.util.List<String> header(HttpServerRequest request, String name) {
        java.util.List<String> values = request.headers().getAll(name);
        if (values.isEmpty() && name.equals("host") && request.authority() != null) {
            var authority = request.authority();
            return java.util.List.of(
                    authority.port() < 0 ? authority.host() : authority.host() + ":" + authority.port());
        }
        return values;
    }
}
