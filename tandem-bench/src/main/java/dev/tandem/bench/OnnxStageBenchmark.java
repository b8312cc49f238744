package dev.tandem.bench;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.Stage;
import dev.tandem.core.stage.StageContext;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.core.stage.StageResponse;
import dev.tandem.stages.onnx.OnnxStageProvider;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code builtin:onnx} against ONNX Runtime called directly from Java, on the same model
 * (all-MiniLM-L6-v2, quantized) and the same tokenized batch, both ending in the same pooled,
 * normalized sentence embeddings. The direct path builds its tensors from arrays and reads the
 * output buffer — the least any Java caller does; the stage also parses the JSON request, checks
 * it against the model's metadata and writes a JSON answer.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class OnnxStageBenchmark {
    private static final List<String> SENTENCES = List.of(
            "A man is eating food.",
            "A man is eating a piece of bread.",
            "The girl is carrying a baby.",
            "A man is riding a horse.",
            "A woman is playing violin.",
            "Two men pushed carts through the woods.",
            "A man is riding a white horse on an enclosed ground.",
            "A monkey is playing drums.");

    @Param({"1", "8"})
    public int batch;

    private Stage stage;
    private StageRequest request;
    private OrtEnvironment environment;
    private OrtSession session;
    private long[][] ids;
    private long[][] mask;
    private long[][] types;

    @Setup
    public void setUp() throws Exception {
        Path root =
                Path.of(System.getProperty("tandem.root", ".")).toAbsolutePath().normalize();
        Path model = root.resolve("examples/embeddings/model");
        if (!Files.isDirectory(model)) {
            throw new IllegalStateException(model + " is missing: build Tandem first (./tandem --version)");
        }
        try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(
                model.resolve("all-minilm-l6-v2-q-tokenizer.json"), Map.of("padding", "longest", "maxLength", "128"))) {
            Encoding[] encodings = tokenizer.batchEncode(SENTENCES.subList(0, batch));
            ids = new long[batch][];
            mask = new long[batch][];
            types = new long[batch][];
            for (int i = 0; i < batch; i++) {
                ids[i] = encodings[i].getIds();
                mask[i] = encodings[i].getAttentionMask();
                types[i] = encodings[i].getTypeIds();
            }
        }
        Map<String, Object> inputs = new LinkedHashMap<>();
        inputs.put("input_ids", ids);
        inputs.put("attention_mask", mask);
        inputs.put("token_type_ids", types);
        request = new StageRequest(
                Payload.wrap(new ObjectMapper().writeValueAsBytes(Map.of("inputs", inputs))),
                "application/json",
                "application/json",
                null);
        stage = new OnnxStageProvider()
                .create(new StageContext(
                        "minilm",
                        model,
                        Map.of(
                                "TANDEM_ONNX_OUTPUTS", "last_hidden_state",
                                "TANDEM_ONNX_POOLING", "mean",
                                "TANDEM_ONNX_NORMALIZE", "true")));

        environment = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(1);
        options.setInterOpNumThreads(1);
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        session = environment.createSession(
                model.resolve("all-minilm-l6-v2-q.onnx").toString(), options);
    }

    @TearDown
    public void tearDown() throws Exception {
        stage.close();
        session.close();
    }

    @Benchmark
    public StageResponse onnxStage() {
        return stage.invoke(request);
    }

    @Benchmark
    public float[][] directOnnxRuntime() throws Exception {
        int length = ids[0].length;
        long[] shape = {batch, length};
        List<OnnxTensor> tensors = new ArrayList<>(3);
        try {
            Map<String, OnnxTensor> feed = new LinkedHashMap<>();
            feed.put("input_ids", tensor(ids, shape, tensors));
            feed.put("attention_mask", tensor(mask, shape, tensors));
            feed.put("token_type_ids", tensor(types, shape, tensors));
            try (OrtSession.Result result = session.run(feed, java.util.Set.of("last_hidden_state"))) {
                float[] hidden = new float[batch * length * 384];
                ((OnnxTensor) result.get(0)).getFloatBuffer().get(hidden);
                return meanPoolNormalized(hidden, length, 384);
            }
        } finally {
            tensors.forEach(OnnxTensor::close);
        }
    }

    private OnnxTensor tensor(long[][] rows, long[] shape, List<OnnxTensor> opened) throws Exception {
        LongBuffer flat = LongBuffer.allocate(rows.length * rows[0].length);
        for (long[] row : rows) {
            flat.put(row);
        }
        OnnxTensor tensor = OnnxTensor.createTensor(environment, flat.flip(), shape);
        opened.add(tensor);
        return tensor;
    }

    private float[][] meanPoolNormalized(float[] hidden, int length, int width) {
        float[][] out = new float[batch][width];
        for (int b = 0; b < batch; b++) {
            int kept = 0;
            for (int t = 0; t < length; t++) {
                if (mask[b][t] == 0) {
                    continue;
                }
                kept++;
                for (int h = 0; h < width; h++) {
                    out[b][h] += hidden[(b * length + t) * width + h];
                }
            }
            double norm = 0;
            for (int h = 0; h < width; h++) {
                out[b][h] /= kept;
                norm += out[b][h] * out[b][h];
            }
            for (int h = 0; h < width; h++) {
                out[b][h] /= (float) Math.sqrt(norm);
            }
        }
        return out;
    }
}
