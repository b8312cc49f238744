package dev.tandem.runtime.contract;

import dev.tandem.core.engine.StageTimeoutException;
import dev.tandem.core.engine.StageUnreachableException;
import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.StageException;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.core.stage.StageResponse;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * The client side of the SageMaker container contract: {@code GET /ping} and {@code POST
 * /invocations}, over pooled keep-alive connections with {@code TCP_NODELAY}.
 *
 * <p>Its methods block, and are meant to be called from virtual threads: the request runs on
 * Vert.x's event loop and the caller parks until it completes or the timeout passes.
 */
public final class ContractClient implements AutoCloseable {
  static final String CUSTOM_ATTRIBUTES = "X-Amzn-SageMaker-Custom-Attributes";

  private final HttpClientAgent client;

  public ContractClient(Vertx vertx, int maxConnectionsPerContainer) {
    this.client = vertx.createHttpClient(clientOptions(), new PoolOptions().setHttp1MaxSize(maxConnectionsPerContainer));
  }

  /** The client options: public so a test can guard them (Nagle costs ~44 ms per request here). */
  public static HttpClientOptions clientOptions() {
    return new HttpClientOptions()
        .setTcpNoDelay(true)
        .setKeepAlive(true)
        .setPipelining(false)
        .setConnectTimeout(2_000)
        .setMaxInitialLineLength(8192)
        .setDecompressionSupported(false);
  }

  /** Sends {@code GET /ping}; returns its status, or -1 when the container could not be reached. */
  public int ping(ContractTarget target, Duration timeout) {
    RequestOptions options = request(target, HttpMethod.GET, target.pingPath(), timeout);
    try {
      Exchange exchange = exchange(options, null, timeout);
      return exchange.status();
    } catch (StageTimeoutException | StageUnreachableException e) {
      return -1;
    }
  }

  /**
   * Sends {@code POST /invocations} with the request's body and contract headers.
   *
   * @throws StageException when the container answers a status other than 2xx
   * @throws StageTimeoutException when it does not answer within {@code timeout}
   * @throws StageUnreachableException when it cannot be reached
   */
  public StageResponse invoke(ContractTarget target, StageRequest request, Duration timeout) {
    RequestOptions options = request(target, HttpMethod.POST, target.invocationsPath(), timeout);
    if (request.contentType() != null) {
      options.putHeader("Content-Type", request.contentType());
    }
    if (request.accept() != null) {
      options.putHeader("Accept", request.accept());
    }
    if (request.customAttributes() != null) {
      options.putHeader(CUSTOM_ATTRIBUTES, request.customAttributes());
    }
    Exchange exchange = exchange(options, Buffer.buffer(request.body().unsafeArray()), timeout);
    Payload body = Payload.wrap(exchange.body().getBytes());
    if (exchange.status() < 200 || exchange.status() > 299) {
      int status = exchange.status() < 400 || exchange.status() > 599 ? 502 : exchange.status();
      throw new StageException(status, body.asUtf8());
    }
    return new StageResponse(body, exchange.contentType(), exchange.customAttributes());
  }

  private static RequestOptions request(
      ContractTarget target, HttpMethod method, String path, Duration timeout) {
    return new RequestOptions()
        .setMethod(method)
        .setHost(target.host())
        .setPort(target.port())
        .setSsl(target.tls())
        .setURI(path)
        .setIdleTimeout(timeout.toMillis());
  }

  private record Exchange(
      int status, @Nullable String contentType, @Nullable String customAttributes, Buffer body) {}

  private Exchange exchange(RequestOptions options, @Nullable Buffer body, Duration timeout) {
    AtomicReference<@Nullable HttpClientRequest> sent = new AtomicReference<>();
    // The response is read inside the send callback: chained after it instead, from a thread
    // that is not the connection's event loop, the body can arrive before its handler is set,
    // and the exchange never completes (Vert.x documents this race; a test guards it).
    Future<Exchange> future =
        client
            .request(options)
            .compose(
                request -> {
                  sent.set(request);
                  Future<HttpClientResponse> response = body == null ? request.send() : request.send(body);
                  return response.compose(
                      answer ->
                          answer
                              .body()
                              .map(
                                  bytes ->
                                      new Exchange(
                                          answer.statusCode(),
                                          answer.getHeader("Content-Type"),
                                          answer.getHeader(CUSTOM_ATTRIBUTES),
                                          bytes)));
                });
    CompletableFuture<Exchange> result = future.toCompletionStage().toCompletableFuture();
    try {
      return result.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      abandon(sent.get());
      throw new StageTimeoutException(timeout);
    } catch (InterruptedException e) {
      abandon(sent.get());
      Thread.currentThread().interrupt();
      throw new StageUnreachableException("interrupted while waiting for " + options.getURI(), e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (isTimeout(cause)) {
        throw new StageTimeoutException(timeout);
      }
      throw new StageUnreachableException(describe(cause), cause);
    }
  }

  /** Vert.x reports an idle timeout with its own exception types; all carry "Timeout" in their name. */
  private static boolean isTimeout(Throwable cause) {
    return cause instanceof TimeoutException || cause.getClass().getSimpleName().contains("Timeout");
  }

  private static void abandon(@Nullable HttpClientRequest request) {
    if (request != null) {
      // A late answer would otherwise be read into a connection the pool hands to someone else.
      request.reset();
    }
  }

  private static String describe(Throwable cause) {
    String message = cause.getMessage();
    return message == null ? cause.getClass().getSimpleName() : message;
  }

  @Override
  public void close() {
    client.close();
  }
}
