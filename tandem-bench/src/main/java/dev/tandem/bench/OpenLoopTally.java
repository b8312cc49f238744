package dev.tandem.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * Open-loop load on one endpoint that tells its answers apart: served (200), refused (429 or 503,
 * which a client retries), and failed (any other status, or no answer within the client's
 * timeout, after which the client gives up as a real one would). Requests start at a constant
 * rate whether or not earlier ones finished; each latency counts from the time the request was
 * due, so a stall shows in the percentiles (no coordinated omission).
 *
 * <p>With more than one attempt, a refused request is tried again the way the AWS SDKs' standard
 * retry mode does — after a random wait of up to 500 ms × 2^(attempt − 1) (at most 20 s), up to
 * that many attempts in all — and counts as served (its latency including the waits) or, when every
 * attempt was refused, as refused; {@link Result#retried} tells how many needed a retry.
 */
final class OpenLoopTally {
    /** What one run saw; latencies in microseconds. */
    record Result(
            double seconds,
            long served,
            long refused,
            long failed,
            double servedP50,
            double servedP99,
            double refusedP99,
            String firstFailure,
            long retried) {
        double goodput() {
            return served / seconds;
        }
    }

    private final Vertx vertx;
    private final HttpClientAgent client;
    private final int port;
    private final String endpoint;
    private final long clientTimeoutMillis;
    private final int attempts;

    /** A client that takes the first answer, refusals included. */
    OpenLoopTally(Vertx vertx, HttpClientAgent client, int port, String endpoint, long clientTimeoutMillis) {
        this(vertx, client, port, endpoint, clientTimeoutMillis, 1);
    }

    /** A client that tries a refused request up to {@code attempts} times in all, as the SDKs do. */
    OpenLoopTally(
            Vertx vertx, HttpClientAgent client, int port, String endpoint, long clientTimeoutMillis, int attempts) {
        this.vertx = vertx;
        this.client = client;
        this.port = port;
        this.endpoint = endpoint;
        this.clientTimeoutMillis = clientTimeoutMillis;
        this.attempts = attempts;
    }

    Result run(int perSecond, double seconds) throws InterruptedException {
        Histogram served = new Histogram(TimeUnit.SECONDS.toNanos(120), 3);
        Histogram refused = new Histogram(TimeUnit.SECONDS.toNanos(120), 3);
        AtomicLong failed = new AtomicLong();
        AtomicLong retried = new AtomicLong();
        String[] firstFailure = {""};
        long interval = TimeUnit.SECONDS.toNanos(1) / perSecond;
        long total = (long) (seconds * perSecond);
        CountDownLatch done = new CountDownLatch((int) total);
        Context context = vertx.getOrCreateContext();
        long start = System.nanoTime();
        for (long i = 0; i < total; i++) {
            long due = start + i * interval;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            // Every request is started on one event loop: from this thread Vert.x would make a new
            // context per request, and the load generator would take the cores the server needs.
            context.runOnContext(ignored -> attempt(1, retried).onComplete(answer -> {
                long latency = Math.max(0, System.nanoTime() - due);
                int status = answer.succeeded() ? answer.result() : -1;
                synchronized (this) {
                    if (status == 200) {
                        served.recordValue(latency);
                    } else if (status == 429 || status == 503) {
                        refused.recordValue(latency);
                    } else {
                        failed.incrementAndGet();
                        if (firstFailure[0].isEmpty()) {
                            firstFailure[0] = answer.succeeded() ? "HTTP " + status : String.valueOf(answer.cause());
                        }
                    }
                }
                done.countDown();
            }));
        }
        if (!done.await(clientTimeoutMillis + 60_000, TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException(done.getCount() + " requests never ended, past the client's timeout");
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        synchronized (this) {
            return new Result(
                    elapsed,
                    served.getTotalCount(),
                    refused.getTotalCount(),
                    failed.get(),
                    served.getValueAtPercentile(50) / 1e3,
                    served.getValueAtPercentile(99) / 1e3,
                    refused.getValueAtPercentile(99) / 1e3,
                    firstFailure[0],
                    retried.get());
        }
    }

    /** The request's {@code number}th attempt; refused ones go on after the SDKs' backoff while attempts remain. */
    private Future<Integer> attempt(int number, AtomicLong retried) {
        return send().compose(status -> {
            if ((status != 429 && status != 503) || number >= attempts) {
                return Future.succeededFuture(status);
            }
            if (number == 1) {
                retried.incrementAndGet();
            }
            long ceiling = Math.min(20_000, 500L << (number - 1));
            long delay =
                    Math.max(1, java.util.concurrent.ThreadLocalRandom.current().nextLong(ceiling + 1));
            Promise<Integer> next = Promise.promise();
            vertx.setTimer(delay, timer -> attempt(number + 1, retried).onComplete(next));
            return next.future();
        });
    }

    /** InvokeEndpoint on {@code endpoint} with a one-row CSV body's headers, given up after the timeout. */
    static RequestOptions invocation(int port, String endpoint, long timeoutMillis) {
        return new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setHost("127.0.0.1")
                .setPort(port)
                .setURI("/endpoints/" + endpoint + "/invocations")
                .putHeader("Content-Type", "text/csv")
                .setTimeout(timeoutMillis);
    }

    /** One invocation; its status, or a failure when the client gave up or could not connect. */
    private Future<Integer> send() {
        RequestOptions options = invocation(port, endpoint, clientTimeoutMillis);
        Promise<Integer> answer = Promise.promise();
        client.request(options)
                .compose(request -> request.send(Buffer.buffer("5.1,3.5,1.4,0.2")))
                .compose(response -> response.body().map(body -> response.statusCode()))
                .onComplete(done -> {
                    if (done.succeeded()) {
                        answer.tryComplete(done.result());
                    } else {
                        answer.tryFail(done.cause());
                    }
                });
        // The client's own deadline, whatever stage the exchange is in (connecting, sending, reading).
        vertx.setTimer(
                clientTimeoutMillis,
                fired -> answer.tryFail("no answer within the client's timeout of " + clientTimeoutMillis + " ms"));
        return answer.future();
    }
}
