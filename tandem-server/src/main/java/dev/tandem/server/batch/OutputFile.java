package dev.tandem.server.batch;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * One input's output, {@code NAME.out}: written to a hidden partial file beside it and moved into
 * place only when the whole input succeeded, so that no truncated output ever looks complete.
 */
final class OutputFile implements AutoCloseable {
    private final Path target;
    private final Path partial;
    private final OutputStream out;
    private boolean open = true;

    private OutputFile(Path target, Path partial, OutputStream out) {
        this.target = target;
        this.partial = partial;
        this.out = out;
    }

    static Path target(Path outputDir, String inputName) {
        return outputDir.resolve(inputName + ".out").normalize();
    }

    static OutputFile create(Path outputDir, String inputName) throws IOException {
        Path target = target(outputDir, inputName);
        Files.createDirectories(target.getParent());
        Path partial = target.resolveSibling("." + target.getFileName() + ".partial");
        return new OutputFile(target, partial, new BufferedOutputStream(Files.newOutputStream(partial), 1 << 16));
    }

    void write(byte[] bytes) throws IOException {
        out.write(bytes);
    }

    void newline() throws IOException {
        out.write('\n');
    }

    /** Publishes the output: the partial file becomes {@code NAME.out}. */
    void commit() throws IOException {
        closeStream();
        Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Drops the output, and any older {@code NAME.out} that would otherwise look current. */
    void discard() {
        try {
            closeStream();
        } catch (IOException e) {
            // the file is deleted next
        }
        try {
            Files.deleteIfExists(partial);
            Files.deleteIfExists(target);
        } catch (IOException e) {
            // nothing more can be done; the job's failure reason already names this input
        }
    }

    private void closeStream() throws IOException {
        if (open) {
            open = false;
            out.close();
        }
    }

    @Override
    public void close() {
        if (open) {
            discard();
        }
    }
}
