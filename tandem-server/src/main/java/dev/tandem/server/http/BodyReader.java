package dev.tandem.server.http;

import dev.tandem.core.error.PayloadTooLargeException;
import dev.tandem.core.error.ValidationException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;

/**
 * Reads a request body up to a limit. A body whose declared {@code Content-Length} is over the
 * limit is refused before a byte of it is read; a chunked body is refused as soon as it passes the
 * limit. Either way the caller answers at once and closes the connection, so nothing hangs and
 * nothing over the limit is buffered.
 */
public final class BodyReader {
  private BodyReader() {}

  public static Future<Buffer> read(HttpServerRequest request, long limit) {
    String declared = request.getHeader("Content-Length");
    long length = -1;
    if (declared != null) {
      try {
        length = Long.parseLong(declared.trim());
      } catch (NumberFormatException e) {
        return Future.failedFuture(new ValidationException("Content-Length '" + declared + "' is not a number."));
      }
      if (length > limit) {
        return Future.failedFuture(new PayloadTooLargeException(limit));
      }
    }
    Promise<Buffer> promise = Promise.promise();
    Buffer body = Buffer.buffer(length > 0 ? (int) length : 256);
    request.handler(
        chunk -> {
          if (promise.future().isComplete()) {
            return;
          }
          if (body.length() + (long) chunk.length() > limit) {
            promise.tryFail(new PayloadTooLargeException(limit));
            request.pause();
            return;
          }
          body.appendBuffer(chunk);
        });
    request.endHandler(done -> promise.tryComplete(body));
    request.exceptionHandler(promise::tryFail);
    return promise.future();
  }
}
