package dev.tandem.server.http;

import dev.tandem.core.error.PayloadTooLargeException;
import dev.tandem.core.error.ValidationException;
import dev.tandem.core.stage.Payload;
import dev.tandem.runtime.contract.BodyChunks;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;

/**
 * Reads a request body up to a limit. A body over the limit fails the read at once — before a
 * byte is read when its {@code Content-Length} says so, as soon as it passes the limit when it is
 * chunked — so the caller can answer at once and nothing over the limit is buffered.
 *
 * <p>The rest of a refused body is still read and thrown away, up to a bound, so that a client
 * still sending it gets to read the answer instead of a broken pipe, and the connection stays
 * usable. A body past that bound closes the connection.
 */
public final class BodyReader {
    /** How much of a refused body is read and discarded before the connection is closed instead. */
    static final long MIN_DRAIN_BYTES = 16L * 1024 * 1024;

    private BodyReader() {}

    public static Future<Payload> read(HttpServerRequest request, long limit) {
        long drainLimit = Math.max(limit, MIN_DRAIN_BYTES);
        String declared = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        long length = -1;
        if (declared != null) {
            try {
                length = Long.parseLong(declared.trim());
            } catch (NumberFormatException e) {
                request.connection().close();
                return Future.failedFuture(
                        new ValidationException("Content-Length '" + declared + "' is not a number."));
            }
            if (length > limit) {
                if (length > drainLimit) {
                    request.response().endHandler(done -> request.connection().close());
                } else {
                    discard(request, drainLimit, 0);
                }
                return Future.failedFuture(new PayloadTooLargeException(limit));
            }
        }
        Promise<Payload> promise = Promise.promise();
        BodyChunks body = new BodyChunks();
        request.handler(chunk -> {
            if (body.length() + chunk.length() > limit) {
                promise.tryFail(new PayloadTooLargeException(limit));
                discard(request, drainLimit, body.length() + chunk.length());
                return;
            }
            body.add(chunk);
        });
        request.endHandler(done -> promise.tryComplete(body.payload()));
        request.exceptionHandler(promise::tryFail);
        return promise.future();
    }

    /** Reads and drops the rest of a refused body; closes the connection past {@code drainLimit}. */
    private static void discard(HttpServerRequest request, long drainLimit, long alreadyRead) {
        long[] seen = {alreadyRead};
        request.handler(chunk -> {
            seen[0] += chunk.length();
            if (seen[0] > drainLimit) {
                request.connection().close();
            }
        });
        request.endHandler(done -> {});
    }
}
