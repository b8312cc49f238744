package dev.tandem.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RotatingLogFileTest {
    @TempDir
    Path dir;

    @Test
    void rotatesAtTheSizeAndKeepsABoundedNumberOfFiles() throws IOException {
        Path log = dir.resolve("endpoint/i-1/pre.log");
        try (RotatingLogFile file = new RotatingLogFile(log, 1024, 2)) {
            for (int i = 0; i < 100; i++) {
                file.write(String.format("line %03d %s", i, "x".repeat(90)));
            }
        }

        try (Stream<Path> files = Files.list(log.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("pre.log", "pre.log.1", "pre.log.2");
        }
        assertThat(Files.size(log)).isLessThanOrEqualTo(1024);
        assertThat(Files.readString(log)).contains("line 099");
        assertThat(Files.readString(log.resolveSibling("pre.log.1"))).doesNotContain("line 099");
        assertThat(Files.readString(log.resolveSibling("pre.log.2"))
                        + Files.readString(log.resolveSibling("pre.log.1"))
                        + Files.readString(log))
                .doesNotContain("line 000");
    }

    @Test
    void anUnwritablePlaceLosesTheFileNotTheContainer() throws IOException {
        Path blocker = Files.writeString(dir.resolve("not-a-folder"), "x");
        try (RotatingLogFile file = new RotatingLogFile(blocker.resolve("pre.log"), 1024, 2)) {
            file.write("still fine");
            file.write("still fine");
        }
        assertThat(blocker).hasContent("x");
    }
}
