package dev.tandem.runtime;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A log file of bounded size: past {@code maxBytes} it is renamed {@code NAME.1} (the older ones
 * shifting to {@code .2} … up to {@code keep}, the oldest deleted) and a new one begun.
 */
final class RotatingLogFile implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RotatingLogFile.class);

    private final Path path;
    private final long maxBytes;
    private final int keep;
    private @Nullable BufferedWriter out;
    private long size;
    private boolean failed;

    RotatingLogFile(Path path, long maxBytes, int keep) {
        this.path = path;
        this.maxBytes = maxBytes;
        this.keep = keep;
    }

    synchronized void write(String line) {
        if (failed) {
            return;
        }
        try {
            byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
            if (out != null && size + bytes.length > maxBytes) {
                rotate();
            }
            BufferedWriter writer = out;
            if (writer == null) {
                Path folder = path.getParent();
                if (folder != null) {
                    Files.createDirectories(folder);
                }
                writer = Files.newBufferedWriter(
                        path, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                out = writer;
                size = Files.size(path);
            }
            writer.write(line);
            writer.newLine();
            writer.flush();
            size += bytes.length;
        } catch (IOException e) {
            // A full or read-only disk must not stop the container: keep the in-memory lines only.
            failed = true;
            LOG.warn("cannot write container log {}: {}", path, e.toString());
        }
    }

    private void rotate() throws IOException {
        close();
        Files.deleteIfExists(numbered(keep));
        for (int n = keep - 1; n >= 1; n--) {
            if (Files.exists(numbered(n))) {
                Files.move(numbered(n), numbered(n + 1), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Files.move(path, numbered(1), StandardCopyOption.REPLACE_EXISTING);
        size = 0;
    }

    private Path numbered(int n) {
        return path.resolveSibling(path.getFileName() + "." + n);
    }

    @Override
    public synchronized void close() {
        BufferedWriter writer = out;
        out = null;
        if (writer != null) {
            try {
                writer.close();
            } catch (IOException e) {
                LOG.warn("cannot close container log {}: {}", path, e.toString());
            }
        }
    }
}
