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
            return new OnnxStage(context.hostname(), environment, session, inputs, outputs, pooling);
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

        OnnxStage(
                String name,
                OrtEnvironment environment,
                OrtSession session,
                Map<String, InputSpec> inputs,
                List<String> outputs,
                Pooling pooling) {
            this.name = name;
            this.environment = environment;
            this.session = session;
            this.reader = new TensorReader(inputs);
            this.outputs = List.copyOf(outputs);
            this.outputSet = new LinkedHashSet<>(outputs);
            this.pooling = pooling;
        }

        @Override
        public StageResponse invoke(StageRequest request) {
            String contentType = request.contentType() == null ? MediaTypes.JSON : request.contentType();
            TensorReader.Request parsed = reader.read(request.body(), contentType);
            List<Tensor> results = run(parsed.tensors());
            if (pooling.active()) {
                results = new ArrayList<>(results);
                results.set(0, pooling.apply(results.get(0), parsed.tensors().get(MASK)));
            }
            if (parsed.v2()) {
                return StageResponse.of(TensorWriter.v2(name, results), MediaTypes.JSON);
            }
            String answer = MediaTypes.negotiate(request.accept(), PRODUCES).orElse(MediaTypes.JSON);
            return StageResponse.of(TensorWriter.predictions(results, answer), answer);
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

        @Override
        public boolean callsNativeCode() {
            return true;
        }

        @Override
        public void close() {
            try {
                session.close();
            } catch (OrtException e) {
                throw new IllegalStateException("cannot close the ONNX session", e);
            }
        }
    }
}
