package dev.tandem.it.support;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * An HTTP subscriber of SNS topics on loopback, as a user's webhook would be: it records each SNS
 * envelope it receives (headers and JSON body), and can be told to refuse the next few deliveries.
 */
public final class NotificationSink implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One delivery: the {@code x-amz-sns-*} headers and the envelope. */
    public record Delivery(Map<String, String> headers, JsonNode envelope) {
        /** The SageMaker notification inside the envelope's {@code Message}. */
        public JsonNode message() {
            try {
                return JSON.readTree(envelope.path("Message").asText());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private final HttpServer server;
    private final List<Delivery> deliveries = new ArrayList<>();
    private final AtomicInteger refuse = new AtomicInteger();

    private NotificationSink(HttpServer server) {
        this.server = server;
    }

    public static NotificationSink start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
            NotificationSink sink = new NotificationSink(server);
            server.createContext("/", exchange -> {
                byte[] body = exchange.getRequestBody().readAllBytes();
                int status = 200;
                if (sink.refuse.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    status = 503;
                } else {
                    Map<String, String> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
                    exchange.getRequestHeaders().forEach((name, values) -> {
                        if (name.toLowerCase(java.util.Locale.ROOT).startsWith("x-amz-sns")) {
                            headers.put(name, values.get(0));
                        }
                    });
                    synchronized (sink.deliveries) {
                        sink.deliveries.add(
                                new Delivery(headers, JSON.readTree(new String(body, StandardCharsets.UTF_8))));
                    }
                }
                exchange.sendResponseHeaders(status, -1);
                exchange.close();
            });
            server.start();
            return sink;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/sns");
    }

    /** Answers the next {@code count} deliveries with 503. */
    public void refuseNext(int count) {
        refuse.set(count);
    }

    public List<Delivery> deliveries() {
        synchronized (deliveries) {
            return List.copyOf(deliveries);
        }
    }

    /** Waits for a delivery whose message matches. */
    public Delivery await(Predicate<JsonNode> message, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (Delivery delivery : deliveries()) {
                if (message.test(delivery.message())) {
                    return delivery;
                }
            }
            assertThat(System.nanoTime())
                    .as("a notification arrives within %s; got %s", timeout, deliveries())
                    .isLessThan(deadline);
            TandemFixture.sleep(Duration.ofMillis(50));
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
