package dev.tandem.server.batch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ExecutionParametersTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theRequestWinsThenTheContainerThenTheDefaults() throws IOException {
        HttpServer container = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        container.createContext("/execution-parameters", exchange -> {
            byte[] body = "{\"MaxConcurrentTransforms\": 2, \"BatchStrategy\": \"MULTI_RECORD\", \"MaxPayloadInMB\": 1}"
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        container.start();
        try {
            URI url = URI.create("http://127.0.0.1:" + container.getAddress().getPort());
            ExecutionParameters unset = ExecutionParameters.resolve(spec("{}"), Optional.of(url));
            ExecutionParameters set = ExecutionParameters.resolve(
                    spec("{\"MaxPayloadInMB\": 3, \"BatchStrategy\": \"SingleRecord\"}"), Optional.of(url));
            ExecutionParameters nobody = ExecutionParameters.resolve(spec("{}"), Optional.empty());

            assertThat(unset).isEqualTo(new ExecutionParameters(1, 2, TransformJobSpec.Strategy.MULTI_RECORD));
            assertThat(set).isEqualTo(new ExecutionParameters(3, 2, TransformJobSpec.Strategy.SINGLE_RECORD));
            assertThat(nobody).isEqualTo(new ExecutionParameters(6, 1, TransformJobSpec.Strategy.SINGLE_RECORD));
        } finally {
            container.stop(0);
        }
    }

    private static TransformJobSpec spec(String extra) throws IOException {
        ObjectNode request = (ObjectNode)
                JSON.readTree(
                        """
                {"TransformJobName": "j", "ModelName": "m",
                 "TransformInput": {"SplitType": "Line", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "file:/tmp"}}},
                 "TransformOutput": {"S3OutputPath": "file:/tmp/out"},
                 "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1}}
                """);
        request.setAll((ObjectNode) JSON.readTree(extra));
        return TransformJobSpec.read(request);
    }
}
