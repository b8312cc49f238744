package dev.tandem.it.support;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Executors;

/**
 * A contract container for tests, run as a real child process. What it does is set by its
 * environment:
 *
 * <ul>
 *   <li>{@code BEHAVIOUR=echo} (default): answers its input followed by {@code >TAG(ct=…,accept=…,
 *       ca=…)}, so the final body records what every container of a pipeline received; answers
 *       with {@code RESPONSE_CONTENT_TYPE} (else the request's content type) and {@code
 *       RESPONSE_CUSTOM_ATTRIBUTES} if set.
 *   <li>{@code fail}: answers {@code FAIL_STATUS} with body {@code FAIL_MESSAGE}.
 *   <li>{@code hang}: never answers an invocation (but answers /ping).
 *   <li>{@code big}: answers {@code BIG_BYTES} bytes.
 *   <li>{@code crash-once}: exits with code 3 on its first invocation (remembered in the file
 *       {@code CRASH_MARKER}), then behaves as echo once restarted.
 *   <li>{@code never-healthy}: answers /ping with 500.
 *   <li>{@code exit}: exits with code 1 as soon as it starts.
 *   <li>{@code headers}: answers with the {@code traceparent} header it received.
 *   <li>with {@code SLEEP_MS} set, echo takes that long to answer.
 *   <li>{@code env}: answers with the contract environment it was given and the files of its
 *       model folder.
 *   <li>{@code sandbox}: answers what it sees of its file system: its model folder and files, its
 *       working folder, whether it may write to its model folder, and what {@code /tmp} holds.
 *   <li>{@code batch-env}: answers one line per request with the batch environment it was given
 *       ({@code SAGEMAKER_BATCH}, payload, strategy, concurrency, {@code JOB_SETTING}) and how
 *       many lines the request held.
 *   <li>{@code stream-echo}: answers its input unchanged, streamed through a small buffer with
 *       the request's length as its own, so that bodies far larger than its heap pass through.
 *   <li>{@code stream}: answers chunked, as a streaming model does: first its input and a newline,
 *       then {@code STREAM_PARTS} (5) lines {@code part-N}, each {@code STREAM_INTERVAL_MS} (200)
 *       after the one before and flushed at once; with {@code STREAM_BYTES} set, that many bytes
 *       in 64 KiB chunks as fast as they are taken instead, printing {@code streamed N bytes}
 *       every MiB. It prints {@code client gone after N parts} when a write fails.
 *   <li>{@code stream-die}: streams its parts, then dies mid-answer (the process halts).
 *   <li>{@code stream-stall}: streams its parts, then sends nothing more.
 *   <li>with {@code STARTUP_SLEEP_MS} set, it waits that long before it listens (a slow start).
 *   <li>with {@code EXECUTION_PARAMETERS} set, answers it (JSON) on {@code GET
 *       /execution-parameters}.
 * </ul>
 */
public final class TestContainer {
    public static void main(String[] args) throws IOException {
        System.setProperty("sun.net.httpserver.nodelay", "true");
        Map<String, String> env = System.getenv();
        int port = Integer.parseInt(env.getOrDefault("SAGEMAKER_BIND_TO_PORT", "8080"));
        String behaviour = env.getOrDefault("BEHAVIOUR", "echo");
        if (behaviour.equals("exit")) {
            System.err.println("cannot start: missing configuration");
            System.exit(1);
        }
        if (env.containsKey("STARTUP_SLEEP_MS")) {
            try {
                Thread.sleep(Long.parseLong(env.get("STARTUP_SLEEP_MS")));
            } catch (InterruptedException e) {
                return;
            }
        }
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext(
                "/ping",
                exchange -> reply(exchange, behaviour.equals("never-healthy") ? 500 : 200, null, null, new byte[0]));
        server.createContext("/invocations", exchange -> invoke(exchange, behaviour, env));
        if (env.containsKey("EXECUTION_PARAMETERS")) {
            server.createContext(
                    "/execution-parameters",
                    exchange -> reply(
                            exchange,
                            200,
                            "application/json",
                            null,
                            env.get("EXECUTION_PARAMETERS").getBytes(StandardCharsets.UTF_8)));
        }
        server.start();
        System.out.println("test container " + env.getOrDefault("TAG", "?") + " (" + behaviour + ") on port " + port
                + ", model dir " + env.get("SM_MODEL_DIR") + ", safe ports " + env.get("SAGEMAKER_SAFE_PORT_RANGE"));
    }

    private static void invoke(HttpExchange exchange, String behaviour, Map<String, String> env) throws IOException {
        if (behaviour.equals("stream-echo")) {
            long length = Long.parseLong(exchange.getRequestHeaders().getFirst("Content-Length"));
            exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
            exchange.sendResponseHeaders(200, length);
            try (var in = exchange.getRequestBody();
                    OutputStream out = exchange.getResponseBody()) {
                in.transferTo(out);
            }
            return;
        }
        if (behaviour.startsWith("stream")) {
            stream(exchange, behaviour, env);
            return;
        }
        byte[] input = exchange.getRequestBody().readAllBytes();
        var headers = exchange.getRequestHeaders();
        String contentType = headers.getFirst("Content-Type");
        switch (behaviour) {
            case "fail" -> {
                System.err.println("failing on purpose");
                reply(
                        exchange,
                        Integer.parseInt(env.getOrDefault("FAIL_STATUS", "500")),
                        "text/plain",
                        null,
                        env.getOrDefault("FAIL_MESSAGE", "boom").getBytes(StandardCharsets.UTF_8));
                return;
            }
            case "hang" -> {
                try {
                    Thread.sleep(Long.MAX_VALUE);
                } catch (InterruptedException e) {
                    return;
                }
            }
            case "headers" -> {
                String traceparent = headers.getFirst("traceparent");
                reply(
                        exchange,
                        200,
                        "text/plain",
                        null,
                        (traceparent == null ? "none" : traceparent).getBytes(StandardCharsets.UTF_8));
                return;
            }
            case "big" -> {
                reply(
                        exchange,
                        200,
                        "application/octet-stream",
                        null,
                        new byte[Integer.parseInt(env.get("BIG_BYTES"))]);
                return;
            }
            case "env" -> {
                String modelFiles;
                try (var files = Files.list(Path.of(env.get("SM_MODEL_DIR")))) {
                    modelFiles = String.join(
                            "+",
                            files.map(f -> f.getFileName().toString()).sorted().toList());
                }
                String text = "port=" + env.get("SAGEMAKER_BIND_TO_PORT") + ";safe="
                        + env.get("SAGEMAKER_SAFE_PORT_RANGE") + ";model=" + env.get("SM_MODEL_DIR") + ";files="
                        + modelFiles + ";custom=" + env.get("CUSTOM_SETTING");
                reply(exchange, 200, "text/plain", null, text.getBytes(StandardCharsets.UTF_8));
                return;
            }
            case "sandbox" -> {
                Path modelDir = Path.of(env.get("SM_MODEL_DIR"));
                String modelFiles;
                try (var files = Files.list(modelDir)) {
                    modelFiles = String.join(
                            "+",
                            files.map(f -> f.getFileName().toString()).sorted().toList());
                }
                String write;
                try {
                    Files.writeString(modelDir.resolve("scribble"), "x");
                    write = "allowed";
                } catch (IOException e) {
                    write = "refused";
                }
                String tmp;
                try (var files = Files.list(Path.of("/tmp"))) {
                    // The JVM's own performance-data folder aside.
                    tmp = String.join(
                            "+",
                            files.map(f -> f.getFileName().toString())
                                    .filter(name -> !name.startsWith("hsperfdata"))
                                    .sorted()
                                    .toList());
                }
                String text = "model=" + modelDir + ";files=" + modelFiles + ";cwd="
                        + Path.of("").toAbsolutePath() + ";write=" + write + ";tmp=" + tmp;
                reply(exchange, 200, "text/plain", null, text.getBytes(StandardCharsets.UTF_8));
                return;
            }
            case "batch-env" -> {
                long lines = new String(input, StandardCharsets.UTF_8)
                        .lines()
                        .filter(line -> !line.isBlank())
                        .count();
                String text =
                        "batch=" + env.get("SAGEMAKER_BATCH") + ";payload=" + env.get("SAGEMAKER_MAX_PAYLOAD_IN_MB")
                                + ";strategy=" + env.get("SAGEMAKER_BATCH_STRATEGY") + ";concurrent="
                                + env.get("SAGEMAKER_MAX_CONCURRENT_TRANSFORMS") + ";job=" + env.get("JOB_SETTING")
                                + ";lines=" + lines + "\n";
                reply(exchange, 200, "text/plain", null, text.getBytes(StandardCharsets.UTF_8));
                return;
            }
            case "crash-once" -> {
                Path marker = Path.of(env.get("CRASH_MARKER"));
                if (!Files.exists(marker)) {
                    Files.createFile(marker);
                    System.err.println("crashing on purpose");
                    Runtime.getRuntime().halt(3);
                }
            }
            default -> {}
        }
        System.out.println("invocation of " + input.length + " bytes");
        if (env.containsKey("SLEEP_MS")) {
            try {
                Thread.sleep(Long.parseLong(env.get("SLEEP_MS")));
            } catch (InterruptedException e) {
                return;
            }
        }
        String trace = ">" + env.getOrDefault("TAG", "?") + "(ct=" + contentType + ",accept="
                + headers.getFirst("Accept") + ",ca=" + headers.getFirst("X-Amzn-SageMaker-Custom-Attributes") + ")";
        byte[] traceBytes = trace.getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[input.length + traceBytes.length];
        System.arraycopy(input, 0, body, 0, input.length);
        System.arraycopy(traceBytes, 0, body, input.length, traceBytes.length);
        reply(
                exchange,
                200,
                env.getOrDefault("RESPONSE_CONTENT_TYPE", contentType),
                env.get("RESPONSE_CUSTOM_ATTRIBUTES"),
                body);
    }

    /** A chunked answer written over time (see the class comment for the behaviours). */
    private static void stream(HttpExchange exchange, String behaviour, Map<String, String> env) throws IOException {
        byte[] input = exchange.getRequestBody().readAllBytes();
        int parts = Integer.parseInt(env.getOrDefault("STREAM_PARTS", "5"));
        long interval = Long.parseLong(env.getOrDefault("STREAM_INTERVAL_MS", "200"));
        exchange.getResponseHeaders()
                .set("Content-Type", env.getOrDefault("RESPONSE_CONTENT_TYPE", "text/plain; charset=utf-8"));
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        int sent = 0;
        try {
            if (env.containsKey("STREAM_BYTES")) {
                long total = Long.parseLong(env.get("STREAM_BYTES"));
                byte[] chunk = new byte[64 * 1024];
                for (long written = 0; written < total; ) {
                    int length = (int) Math.min(chunk.length, total - written);
                    out.write(chunk, 0, length);
                    written += length;
                    sent++;
                    if (written % (1024 * 1024) == 0) {
                        System.out.println("streamed " + written + " bytes");
                    }
                }
            } else {
                out.write(input);
                out.write('\n');
                out.flush();
                for (int i = 1; i <= parts; i++) {
                    Thread.sleep(interval);
                    out.write(("part-" + i + "\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    sent++;
                }
            }
            switch (behaviour) {
                case "stream-die" -> {
                    System.out.println("dying mid-stream");
                    Runtime.getRuntime().halt(7);
                }
                case "stream-stall" -> Thread.sleep(Long.MAX_VALUE);
                default -> out.close();
            }
        } catch (IOException e) {
            System.out.println("client gone after " + sent + " parts");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void reply(
            HttpExchange exchange, int status, String contentType, String customAttributes, byte[] body)
            throws IOException {
        if (contentType != null) {
            exchange.getResponseHeaders().set("Content-Type", contentType);
        }
        if (customAttributes != null) {
            exchange.getResponseHeaders().set("X-Amzn-SageMaker-Custom-Attributes", customAttributes);
        }
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
