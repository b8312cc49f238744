package dev.tandem.server.async;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The AWS SDK's SNS Publish as {@link SnsPublisher} sends it, to a loopback endpoint that reads
 * the request as SNS does (query protocol) and answers in SNS's XML.
 */
class SnsPublisherTest {
    private HttpServer server;
    private final List<String> bodies = new CopyOnWriteArrayList<>();
    private final AtomicInteger status = new AtomicInteger(200);

    @BeforeEach
    void start() throws IOException {
        System.setProperty("aws.accessKeyId", "test");
        System.setProperty("aws.secretAccessKey", "test");
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        server.createContext("/", exchange -> {
            bodies.add(URLDecoder.decode(
                    new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8),
                    StandardCharsets.UTF_8));
            byte[] answer = (status.get() == 200
                            ? "<PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><PublishResult>"
                                    + "<MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r-1"
                                    + "</RequestId></ResponseMetadata></PublishResponse>"
                            : "<ErrorResponse><Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not"
                                    + " exist</Message></Error><RequestId>r-2</RequestId></ErrorResponse>")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/xml");
            exchange.sendResponseHeaders(status.get(), answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
    }

    @Test
    void publishesTheMessageToTheTopicAndReportsARefusal() {
        URI endpoint = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        try (SnsPublisher sns = new SnsPublisher(endpoint, "us-east-1")) {
            sns.publish("arn:aws:sns:us-east-1:000000000000:results", "{\"eventName\":\"TestNotification\"}");

            assertThat(bodies).hasSize(1);
            assertThat(bodies.get(0))
                    .contains("Action=Publish")
                    .contains("TopicArn=arn:aws:sns:us-east-1:000000000000:results")
                    .contains("Message={\"eventName\":\"TestNotification\"}");

            status.set(404);
            assertThatThrownBy(() -> sns.publish("arn:aws:sns:us-east-1:000000000000:gone", "x"))
                    .isInstanceOf(TopicPublisher.DeliveryException.class)
                    .hasMessageContaining("arn:aws:sns:us-east-1:000000000000:gone");
        }
    }

    @Test
    void onlyAnSnsEndpointInTheEnvironmentTurnsItOn() {
        assertThat(SnsPublisher.fromEnvironment(java.util.Map.of())).isNull();
        assertThat(SnsPublisher.fromEnvironment(java.util.Map.of("AWS_ENDPOINT_URL_SNS", "http://127.0.0.1:4566")))
                .isNotNull();
    }
}
