package dev.tandem.server.console;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The web console's files — one page, its script and its style, plain HTML, CSS and JavaScript —
 * served from the jar at {@code /console/}. They hold no data and no secrets, so they are served
 * without authentication; everything the page shows comes from the API, signed with the key the
 * user signs in with when the server has keys.
 */
public final class ConsoleAssets {
    private static final Map<String, String> TYPES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "console.js", "text/javascript; charset=utf-8",
            "console.css", "text/css; charset=utf-8");

    private final Map<String, Buffer> files;

    public ConsoleAssets() {
        this.files = Map.of(
                "index.html", read("index.html"),
                "console.js", read("console.js"),
                "console.css", read("console.css"));
    }

    private static Buffer read(String name) {
        try (InputStream in = ConsoleAssets.class.getResourceAsStream("/console/" + name)) {
            if (in == null) {
                throw new IllegalStateException("console/" + name + " is missing from the jar");
            }
            return Buffer.buffer(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Serves {@code /console}, {@code /console/} and {@code /console/FILE}. */
    public void handle(HttpServerRequest request) {
        String path = request.path();
        if (path.equals("/console")) {
            request.response()
                    .setStatusCode(301)
                    .putHeader("Location", "/console/")
                    .end();
            return;
        }
        String name = path.substring("/console/".length());
        @Nullable Buffer file = files.get(name.isEmpty() ? "index.html" : name);
        if (file == null) {
            request.response()
                    .setStatusCode(404)
                    .putHeader("Content-Type", "text/plain")
                    .end("Not found: " + path);
            return;
        }
        request.response()
                .putHeader("Content-Type", TYPES.get(name.isEmpty() ? "index.html" : name))
                .putHeader("Cache-Control", "no-cache")
                .putHeader("X-Content-Type-Options", "nosniff")
                .putHeader("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'")
                .end(file);
    }
}
