package dev.tandem.server.batch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.core.model.PipelineDefinition;
import dev.tandem.core.model.PipelineParser;
import dev.tandem.runtime.storage.Location;
import dev.tandem.runtime.storage.S3Settings;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What the server hands the Spark driver of one transform job (its {@code job.json}), and what the
 * driver hands each task: everything needed to run the job without the server's state store.
 *
 * @param definition the CreateTransformJob request, as the server stored it
 * @param model the model's pipeline, as CreateModel stored it
 * @param inputs the job's inputs, listed when it was created
 * @param resume whether an earlier run was cut off: inputs whose output is in place are skipped
 * @param s3 how the executors reach the S3-compatible store
 * @param runtime how the executors run the model's containers: as the server does
 */
public record SparkJob(
        String name,
        String master,
        Map<String, String> conf,
        String definition,
        String model,
        List<Input> inputs,
        boolean resume,
        S3Settings s3,
        SparkRuntime runtime,
        long startupTimeoutSeconds)
        implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One input object: its location, its name relative to the input prefix, its size. */
    public record Input(String location, String name, long size) implements Serializable {
        private static final long serialVersionUID = 1L;

        public InputFiles.InputFile file() {
            return new InputFiles.InputFile(Location.parse(location, "Input"), name, size);
        }
    }

    public SparkJob {
        conf = Map.copyOf(conf);
        inputs = List.copyOf(inputs);
    }

    static List<Input> inputs(List<InputFiles.InputFile> files) {
        return files.stream()
                .map(f -> new Input(f.location().toString(), f.name(), f.size()))
                .toList();
    }

    public TransformJobSpec spec() {
        try {
            return TransformJobSpec.read((ObjectNode) JSON.readTree(definition));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("job " + name + ": unreadable definition", e);
        }
    }

    public PipelineDefinition pipeline() {
        return new PipelineParser().parse(model.getBytes(StandardCharsets.UTF_8), Path.of("/"));
    }

    /** The job's name and master only: the rest is long, and holds the store's credentials. */
    @Override
    public String toString() {
        return "SparkJob[" + name + " on " + master + "]";
    }

    /** The same job for a new driver after one was lost: inputs whose output is in place are skipped. */
    SparkJob resuming() {
        return new SparkJob(name, master, conf, definition, model, inputs, true, s3, runtime, startupTimeoutSeconds);
    }

    public Duration startupTimeout() {
        return Duration.ofSeconds(startupTimeoutSeconds);
    }
}
