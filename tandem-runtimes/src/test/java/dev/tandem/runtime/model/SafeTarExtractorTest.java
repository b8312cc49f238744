package dev.tandem.runtime.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tandem.core.error.ValidationException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTarExtractorTest {
    @TempDir
    Path dir;

    /** Writes a .tar.gz whose entries the test describes, crafted entries included. */
    private Path archive(EntryWriter... entries) throws IOException {
        Path archive = dir.resolve("model.tar.gz");
        try (OutputStream out = Files.newOutputStream(archive);
                GzipCompressorOutputStream gzip = new GzipCompressorOutputStream(out);
                TarArchiveOutputStream tar = new TarArchiveOutputStream(gzip)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (EntryWriter entry : entries) {
                entry.write(tar);
            }
        }
        return archive;
    }

    interface EntryWriter {
        void write(TarArchiveOutputStream tar) throws IOException;
    }

    private static EntryWriter file(String name, String content) {
        return tar -> {
            byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
            TarArchiveEntry entry = new TarArchiveEntry(name, true);
            entry.setSize(bytes.length);
            tar.putArchiveEntry(entry);
            tar.write(bytes);
            tar.closeArchiveEntry();
        };
    }

    private static EntryWriter symlink(String name, String target) {
        return tar -> {
            TarArchiveEntry entry = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK, true);
            entry.setLinkName(target);
            tar.putArchiveEntry(entry);
            tar.closeArchiveEntry();
        };
    }

    private void assertRefused(Path archive, String why) {
        Path target = dir.resolve("out");
        assertThatThrownBy(() -> new SafeTarExtractor(ArchiveLimits.defaults()).extract(archive, target))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining(why);
        assertThat(target).doesNotExist();
        assertThat(dir.toFile().list()).containsExactly("model.tar.gz");
    }

    @Test
    void extractsFilesFoldersAndLinksInside() throws IOException {
        Path archive = archive(
                file("model/weights.bin", "w"), file("config.json", "{}"), symlink("latest", "model/weights.bin"));
        Path target = dir.resolve("out");

        new SafeTarExtractor(ArchiveLimits.defaults()).extract(archive, target);

        assertThat(target.resolve("model/weights.bin")).hasContent("w");
        assertThat(target.resolve("config.json")).hasContent("{}");
        assertThat(target.resolve("latest")).isSymbolicLink().hasContent("w");
    }

    @Test
    void refusesAnAbsolutePath() throws IOException {
        assertRefused(archive(file("/etc/evil", "x")), "entry /etc/evil has an absolute path");
    }

    @Test
    void refusesAPathThatClimbsOut() throws IOException {
        assertRefused(
                archive(file("ok.txt", "x"), file("../../evil", "x")),
                "entry ../../evil leads outside the model folder");
    }

    @Test
    void refusesASymlinkLeadingOutside() throws IOException {
        assertRefused(
                archive(symlink("passwd", "../../../etc/passwd")), "link passwd -> ../../../etc/passwd leads outside");
    }

    @Test
    void refusesAnAbsoluteSymlink() throws IOException {
        assertRefused(archive(symlink("passwd", "/etc/passwd")), "leads outside");
    }

    @Test
    void refusesAnArchiveThatExpandsPastTheSizeLimit() throws IOException {
        Path archive = archive(file("zeros", "0".repeat(10_000)));
        Path target = dir.resolve("out");

        assertThatThrownBy(() -> new SafeTarExtractor(new ArchiveLimits(1_000, 10)).extract(archive, target))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("expands past the limit of 1000 bytes");
        assertThat(target).doesNotExist();
    }

    @Test
    void refusesAnArchiveWithTooManyEntries() throws IOException {
        Path archive = archive(file("a", "1"), file("b", "2"), file("c", "3"));

        assertThatThrownBy(() -> new SafeTarExtractor(new ArchiveLimits(1_000, 2)).extract(archive, dir.resolve("out")))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("more than 2 entries");
    }

    @Test
    void refusesSomethingThatIsNotAGzippedTar() throws IOException {
        Path archive = dir.resolve("model.tar.gz");
        Files.writeString(archive, "not gzip at all");

        assertRefused(archive, "Cannot extract model archive");
    }

    @Test
    void modelDataStoreExtractsOnceAndReusesTheFolder() throws IOException {
        Path archive = archive(file("weights.bin", "w"));
        ModelDataStore store = new ModelDataStore(dir.resolve("data"), ArchiveLimits.defaults());

        Path first = store.resolve(archive.toUri(), "ModelDataUrl");
        Files.writeString(first.resolve("marker"), "kept");
        Path second = store.resolve(archive.toUri(), "ModelDataUrl");

        assertThat(second).isEqualTo(first);
        assertThat(second.resolve("marker")).exists();
        assertThat(second.resolve("weights.bin")).hasContent("w");
    }

    @Test
    void modelDataStoreRefusesWhatItCannotServe() throws IOException {
        ModelDataStore store = new ModelDataStore(dir.resolve("data"), ArchiveLimits.defaults());
        Path text = Files.writeString(dir.resolve("weights.txt"), "w");

        assertThatThrownBy(() -> store.resolve(text.toUri(), "Containers[1].ModelDataUrl"))
                .hasMessageContaining("must be a folder or a .tar.gz archive");
        assertThatThrownBy(() -> store.resolve(
                        java.net.URI.create("https://example.com/model.tar.gz"), "Containers[1].ModelDataUrl"))
                .hasMessageContaining("model data must be a file: path or an s3:// archive");
        assertThatThrownBy(
                        () -> store.check(java.net.URI.create("s3://bucket/weights.bin"), "Containers[1].ModelDataUrl"))
                .hasMessageContaining("s3://bucket/weights.bin must be a .tar.gz archive");
        assertThat(store.resolve(null, "x")).isDirectory().isEmptyDirectory();
    }
}
