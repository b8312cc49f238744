package dev.tandem.stages.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.tandem.core.stage.MediaTypes;
import dev.tandem.core.stage.Stage;
import dev.tandem.core.stage.StageContext;
import dev.tandem.core.stage.StageException;
import dev.tandem.core.stage.StageProvider;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.core.stage.StageResponse;
import dev.tandem.stages.batching.BatchPolicy;
import dev.tandem.stages.batching.DynamicBatcher;
import dev.tandem.stages.support.ModelFiles;
import dev.tandem.stages.support.Settings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * {@code builtin:onnx}: runs the model folder's ONNX model with ONNX Runtime, one session per
 * instance. Inputs as CSV, JSON instances, JSON named tensors or Open Inference Protocol v2 (see
 * {@link TensorReader}), checked against the model's declared names, types and shapes; outputs as
 * JSON predictions, JSON Lines, CSV, or v2 when asked in v2.
 *
 * <p>Environment:
 *
 * <ul>
 *   <li>{@code TANDEM_ONNX_MODEL}: the model file when the folder holds several {@code .onnx}.
 *   <li>{@code TANDEM_ONNX_OUTPUTS}: the outputs to answer with, comma-separated (default: all).
 *   <li>{@code TANDEM_ONNX_INTRA_OP_THREADS} (default 1), {@code TANDEM_ONNX_INTER_OP_THREADS}
 *       (default 1): ONNX Runtime's threads per request; Tandem already runs one request per core.
 *   <li>{@code TANDEM_ONNX_POOLING}: {@code mean} or {@code cls} turns the first output's token
 *       embeddings into one vector per row, masked by the {@code attention_mask} input; {@code
 *       TANDEM_ONNX_NORMALIZE=true} scales vectors to unit length.
 *   <li>{@code TANDEM_MAX_BATCH_SIZE} above 1 predicts concurrent requests together, stacked along
 *       the first axis ({@link BatchPolicy} has this and the other batching settings; {@link
 *       TensorBatch} says which requests can share a call). The model's inputs must take any size
 *       on their first axis.
 * </ul>
 */
public final class OnnxStageProvider implements StageProvider {
    @Override
    public String name() {
        return "onnx";
    }

    @Override
    public Stage create(StageContext context) throws OrtException {
        Settings settings = new Settings(context.environment());
        BatchPolicy batching = BatchPolicy.from(settings);
        Path file = ModelFiles.find(context.modelDir(), settings.string("TANDEM_ONNX_MODEL"), ".onnx");
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        OrtSession session;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(settings.integer("TANDEM_ONNX_INTRA_OP_THREADS", 1, 1, 256));
            options.setInterOpNumThreads(settings.integer("TANDEM_ONNX_INTER_OP_THREADS", 1, 1, 256));
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            session = environment.createSession(file.toString(), options);
        } catch (OrtException e) {
            throw new IllegalArgumentException(
                    context.modelDir().relativize(file) + " is not a valid ONNX model: " + e.getMessage(), e);
        }
        try {
            Map<String, InputSpec> inputs = inputs(session);
            List<String> outputs = outputs(session, settings);
            Pooling pooling = new Pooling(
                    Pooling.Mode.valueOf(settings.choice("TANDEM_ONNX_POOLING", "none", "none", "mean", "cls")
                            .toUpperCase(Locale.ROOT)),
                    settings.flag("TANDEM_ONNX_NORMALIZE", false));
            if (batching.enabled()) {
                for (InputSpec input : inputs.values()) {
                    if (input.shape().isEmpty() || input.shape().get(0) >= 0) {
                        throw new IllegalArgumentException("TANDEM_MAX_BATCH_SIZE stacks requests along the"
                                + " first axis, but model input " + input + " has a fixed first axis; unset it");
                    }
                }
            }
            return new OnnxStage(context.hostname(), environment, session, inputs, outputs, pooling, batching);
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
    }

    private static Map<String, InputSpec> inputs(OrtSession session) throws OrtException {
        Map<String, InputSpec> inputs = new LinkedHashMap<>();
        for (Map.Entry<String, NodeInfo> entry : session.getInputInfo().entrySet()) {
            if (!(entry.getValue().getInfo() instanceof TensorInfo tensor)) {
                throw new IllegalArgumentException("model input '" + entry.getKey() + "' is not a tensor; "
                        + "builtin:onnx feeds tensor inputs only");
            }
            ElementType type = ElementType.of(tensor.type)
                    .orElseThrow(() -> new IllegalArgumentException("model input '" + entry.getKey() + "' has type "
                            + tensor.type + "; builtin:onnx feeds " + Arrays.toString(ElementType.values())));
            inputs.put(
                    entry.getKey(),
                    new InputSpec(
                            entry.getKey(),
                            type,
                            Arrays.stream(tensor.getShape()).boxed().toList()));
        }
        return inputs;
    }

    private static List<String> outputs(OrtSession session, Settings settings) throws OrtException {
        Set<String> available = session.getOutputNames();
        List<String> chosen = settings.string("TANDEM_ONNX_OUTPUTS")
                .map(names ->
                        Arrays.stream(names.split(",", -1)).map(String::strip).toList())
                .orElse(List.copyOf(available));
        for (String name : chosen) {
            if (!available.contains(name)) {
                throw new IllegalArgumentException(
                        "TANDEM_ONNX_OUTPUTS names '" + name + "'; the model's outputs are " + available);
            }
            NodeInfo info = session.getOutputInfo().get(name);
            if (info != null && !(info.getInfo() instanceof TensorInfo)) {
                throw new IllegalArgumentException("model output '" + name + "' is not a tensor (a sequence or map,"
                        + " as scikit-learn's ZipMap); name the tensor outputs in TANDEM_ONNX_OUTPUTS");
            }
        }
        return chosen;
    }

    static final class OnnxStage implements Stage {
        private static final List<String> ACCEPTS = List.of(MediaTypes.JSON, MediaTypes.CSV);
        private static final List<String> PRODUCES = List.of(MediaTypes.JSON, MediaTypes.JSON_LINES, MediaTypes.CSV);
        private static final String MASK = "attention_mask";

        private final String name;
        private final OrtEnvironment environment;
        private final OrtSession session;
        private final TensorReader reader;
        private final List<String> outputs;
        private final Set<String> outputSet;
        private final Pooling pooling;
        private final boolean padSequences;
        private final @Nullable DynamicBatcher<Map<String, Tensor>, List<Tensor>> batcher;

        OnnxStage(
                String name,
                OrtEnvironment environment,
                OrtSession session,
                Map<String, InputSpec> inputs,
                List<String> outputs,
                Pooling pooling,
                BatchPolicy batching) {
            this.name = name;
            this.environment = environment;
            this.session = session;
            this.reader = new TensorReader(inputs);
            this.outputs = List.copyOf(outputs);
            this.outputSet = new LinkedHashSet<>(outputs);
            this.pooling = pooling;
            // Padding is exact only when pooling removes the token axis from the one answer.
            this.padSequences = pooling.mode() != Pooling.Mode.NONE
                    && outputs.size() == 1
                    && inputs.containsKey(MASK)
                    && inputs.values().stream().allMatch(input -> input.shape().size() == 2);
            this.batcher = batching.enabled() ? new DynamicBatcher<>(name, batching, this::predict) : null;
        }

        @Override
        public StageResponse invoke(StageRequest request) {
            String contentType = request.contentType() == null ? MediaTypes.JSON : request.contentType();
            TensorReader.Request parsed = reader.read(request.body(), contentType);
            List<Tensor> results =
                    batcher == null ? predict(List.of(parsed.tensors())).get(0) : batched(batcher, parsed.tensors());
            if (parsed.v2()) {
                return StageResponse.of(TensorWriter.v2(name, results), MediaTypes.JSON);
            }
            String answer = MediaTypes.negotiate(request.accept(), PRODUCES).orElse(MediaTypes.JSON);
            return StageResponse.of(TensorWriter.predictions(results, answer), answer);
        }

        private List<Tensor> batched(
                DynamicBatcher<Map<String, Tensor>, List<Tensor>> batcher, Map<String, Tensor> tensors) {
            int rows = TensorBatch.rows(tensors);
            if (rows < 1) {
                // Not stackable: a call of its own, under a shape no other request has.
                return batcher.call(tensors, 1, new Object());
            }
            return batcher.call(tensors, rows, TensorBatch.shapeKey(tensors, padSequences));
        }

        /** Each request's outputs, from one model call over all of them. */
        private List<List<Tensor>> predict(List<Map<String, Tensor>> requests) {
            Map<String, Tensor> feed = TensorBatch.stack(requests, padSequences);
            List<Tensor> results = run(feed);
            if (pooling.active()) {
                results = new ArrayList<>(results);
                results.set(0, pooling.apply(results.get(0), feed.get(MASK)));
            }
            if (requests.size() == 1) {
                return List.of(results);
            }
            int[] rows = new int[requests.size()];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = TensorBatch.rows(requests.get(i));
            }
            return TensorBatch.split(results, rows);
        }

        private List<Tensor> run(Map<String, Tensor> tensors) {
            Map<String, OnnxTensor> feed = new LinkedHashMap<>();
            try {
                for (Tensor tensor : tensors.values()) {
                    feed.put(tensor.name(), tensor.type().tensor(environment, tensor.data(), tensor.shape()));
                }
                try (OrtSession.Result result = session.run(feed, outputSet)) {
                    List<Tensor> answers = new ArrayList<>(outputs.size());
                    for (String output : outputs) {
                        OnnxValue value = result.get(output).orElseThrow();
                        if (!(value instanceof OnnxTensor tensor)) {
                            throw new StageException(500, "output '" + output + "' is not a tensor");
                        }
                        TensorInfo info = tensor.getInfo();
                        ElementType type = ElementType.of(info.type)
                                .orElseThrow(() -> new StageException(
                                        500,
                                        "output '" + output + "' has type " + info.type + ", which Tandem"
                                                + " cannot write"));
                        answers.add(new Tensor(output, type, info.getShape(), type.read(tensor)));
                    }
                    return answers;
                }
            } catch (OrtException e) {
                throw new StageException(500, "ONNX Runtime failed: " + e.getMessage(), e);
            } finally {
                feed.values().forEach(OnnxTensor::close);
            }
        }

        @Override
        public List<String> accepts() {
            return ACCEPTS;
        }

        @Override
        public List<String> produces() {
            return PRODUCES;
        }

        /** How many times the model has run batches; -1 unbatched. For tests and benchmarks. */
        long modelCalls() {
            return batcher == null ? -1 : batcher.modelCalls();
        }

        /** Unbatched, the request's own thread calls ONNX Runtime; batched, the batcher's workers do. */
        @Override
        public boolean callsNativeCode() {
            return batcher == null;
        }

        @Override
        public void close() {
            if (batcher != null) {
                batcher.close();
            }
            try {
                session.close();
            } catch (OrtException e) {
                throw new IllegalStateException("cannot close the ONNX session", e);
            }
        }
    }
}
