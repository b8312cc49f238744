import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * The SageMaker container contract in a few lines of plain JDK, for the example containers:
 * GET /ping answers 200, POST /invocations calls a handler. Listens on SAGEMAKER_BIND_TO_PORT
 * (8080 when unset), as SageMaker and Tandem ask.
 */
public final class ContractServer {

  /** One request to /invocations. Headers that were not sent are null. */
  public record Request(byte[] body, String contentType, String accept, String customAttributes) {
    public String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /** One answer from /invocations. */
  public record Response(int status, String contentType, byte[] body) {
    public static Response ok(String contentType, String text) {
      return new Response(200, contentType, text.getBytes(StandardCharsets.UTF_8));
    }

    public static Response error(int status, String message) {
      return new Response(status, "text/plain", message.getBytes(StandardCharsets.UTF_8));
    }
  }

  /** What a container does with a request. */
  public interface Handler {
    Response handle(Request request) throws Exception;
  }

  /** A failure that answers with a status: 400 for input the container does not accept. */
  public static final class Refusal extends RuntimeException {
    final int status;

    public Refusal(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  private ContractServer() {}

  public static void serve(String name, Handler handler) throws IOException {
    // Without it, the JDK's server waits on Nagle's algorithm: ~40 ms per keep-alive request.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    int port = Integer.parseInt(System.getenv().getOrDefault("SAGEMAKER_BIND_TO_PORT", "8080"));
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
    server.setExecutor(Executors.newFixedThreadPool(8));
    server.createContext("/ping", exchange -> reply(exchange, 200, null, new byte[0]));
    server.createContext("/invocations", exchange -> invoke(exchange, handler));
    server.start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> server.stop(0)));
    System.out.println(name + " listening on port " + port);
  }

  private static void invoke(HttpExchange exchange, Handler handler) throws IOException {
    if (!"POST".equals(exchange.getRequestMethod())) {
      reply(exchange, 405, "text/plain", "use POST".getBytes(StandardCharsets.UTF_8));
      return;
    }
    var headers = exchange.getRequestHeaders();
    Request request =
        new Request(
            exchange.getRequestBody().readAllBytes(),
            headers.getFirst("Content-Type"),
            headers.getFirst("Accept"),
            headers.getFirst("X-Amzn-SageMaker-Custom-Attributes"));
    Response response;
    try {
      response = handler.handle(request);
    } catch (Refusal e) {
      response = Response.error(e.status, e.getMessage());
    } catch (Exception e) {
      e.printStackTrace();
      response = Response.error(500, e.toString());
    }
    reply(exchange, response.status(), response.contentType(), response.body());
  }

  private static void reply(HttpExchange exchange, int status, String contentType, byte[] body)
      throws IOException {
    if (contentType != null) {
      exchange.getResponseHeaders().set("Content-Type", contentType);
    }
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  /** The container's model folder: SM_MODEL_DIR, else SageMaker's /opt/ml/model. */
  public static java.nio.file.Path modelDir() {
    return java.nio.file.Path.of(System.getenv().getOrDefault("SM_MODEL_DIR", "/opt/ml/model"));
  }

  /** The format to answer in: the request's Accept, else SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT. */
  public static String accept(Request request, String fallback) {
    String accept = request.accept();
    if (accept == null || accept.isBlank() || accept.equals("*/*")) {
      return System.getenv().getOrDefault("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", fallback);
    }
    return accept;
  }
}
