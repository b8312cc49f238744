package dev.tandem.cli;

import dev.tandem.core.error.TandemException;
import dev.tandem.runtime.model.ArchiveLimits;
import dev.tandem.runtime.model.ModelDataStore;
import dev.tandem.runtime.storage.ObjectStore;
import dev.tandem.runtime.storage.S3Settings;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tandem model-data URL DIR}: a container's model data, fetched and unpacked as Tandem does
 * for its own containers — what the init container of an instance pod runs for each container image
 * of the pipeline, whose sidecar then finds it at {@code /opt/ml/model}.
 */
@Command(
        name = "model-data",
        mixinStandardHelpOptions = true,
        description = {
            "Fetch a container's model data (ModelDataUrl: an s3:// or file: .tar.gz archive, or a file:"
                    + " folder) and unpack it into DIR, checked as Tandem checks every archive (no paths"
                    + " outside DIR, no links out, bounded size).",
            "S3 is reached as `tandem serve` reaches it (AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID, ...)."
        })
final class ModelDataCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "URL", description = "The ModelDataUrl.")
    String url;

    @Parameters(index = "1", paramLabel = "DIR", description = "Where the model data goes (made if missing).")
    Path target;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        URI location;
        try {
            location = new URI(url);
        } catch (URISyntaxException e) {
            err.println("error: " + url + " is not a URL: " + e.getReason());
            return 2;
        }
        Path scratch = Files.createTempDirectory("tandem-model-data");
        try (ObjectStore objects = new ObjectStore(S3Settings.fromEnvironment(System.getenv()))) {
            Path unpacked =
                    new ModelDataStore(scratch, ArchiveLimits.defaults(), objects).resolve(location, "ModelDataUrl");
            copyTree(unpacked, Files.createDirectories(target));
            err.println("Model data of " + url + " in " + target);
            return 0;
        } catch (TandemException | UncheckedIOException e) {
            err.println("error: " + e.getMessage());
            return 2;
        } finally {
            deleteTree(scratch);
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : paths.toList()) {
                Path copy = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(copy);
                } else {
                    Files.copy(path, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
