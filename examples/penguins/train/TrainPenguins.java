// Trains the penguins example: fits the preprocessing spec and an XGBoost classifier on four
// fifths of penguins.csv, scores the held-out fifth, and writes the model archives the pipeline
// serves. Run it with ./examples/penguins/train/run (Tandem's own jars on the class path).
//
// Usage: java TrainPenguins.java DATA_CSV TEMPLATE_JSON MODEL_DIR HOLDOUT_CSV

import dev.tandem.stages.support.Json;
import dev.tandem.stages.table.HeaderPolicy;
import dev.tandem.stages.table.Matrix;
import dev.tandem.stages.table.Table;
import dev.tandem.stages.table.TableReader;
import dev.tandem.stages.transform.TransformFitter;
import dev.tandem.stages.transform.TransformSpec;
import dev.tandem.stages.transform.Transformer;
import dev.tandem.core.stage.Payload;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoost;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

public class TrainPenguins {
    static final List<String> SPECIES = List.of("Adelie", "Chinstrap", "Gentoo");

    public static void main(String[] args) throws Exception {
        Path data = Path.of(args[0]);
        Path template = Path.of(args[1]);
        Path modelDir = Path.of(args[2]);
        Path holdout = Path.of(args[3]);

        List<String> lines = Files.readAllLines(data, StandardCharsets.UTF_8);
        String header = lines.get(0);
        List<String> train = new ArrayList<>(List.of(header));
        List<String> test = new ArrayList<>(List.of(header));
        for (int i = 1; i < lines.size(); i++) {
            ((i - 1) % 5 == 0 ? test : train).add(lines.get(i));
        }

        Table training = read(train);
        TransformSpec spec = TransformFitter.fit(TransformSpec.read(template), training);
        Transformer transformer = new Transformer(spec);
        Matrix features = transformer.apply(training);
        float[] labels = labels(training);

        DMatrix matrix = new DMatrix(features.values(), features.rows(), features.columns(), Float.NaN);
        matrix.setLabel(labels);
        Map<String, Object> params = Map.of(
                "objective", "multi:softprob",
                "num_class", SPECIES.size(),
                "max_depth", 3,
                "eta", 0.3,
                "nthread", 1,
                "seed", 7);
        Booster booster = XGBoost.train(matrix, params, 40, Map.of(), null, null);

        Table held = read(test);
        Matrix heldFeatures = transformer.apply(held);
        float[][] scores = booster.inplace_predict(heldFeatures.values(), heldFeatures.rows(), heldFeatures.columns(), Float.NaN);
        float[] truth = labels(held);
        int correct = 0;
        for (int r = 0; r < scores.length; r++) {
            int best = 0;
            for (int c = 1; c < scores[r].length; c++) {
                if (scores[r][c] > scores[r][best]) best = c;
            }
            if (best == (int) truth[r]) correct++;
        }
        System.out.printf("trained on %d rows, %d features; held-out accuracy %d/%d = %.3f%n",
                features.rows(), features.columns(), correct, scores.length, (double) correct / scores.length);

        Files.createDirectories(modelDir);
        byte[] specJson = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(spec);
        writeTarGz(modelDir.resolve("transform.tar.gz"), "transform.json", specJson);
        java.io.ByteArrayOutputStream model = new java.io.ByteArrayOutputStream();
        booster.saveModel(model, "json");
        writeTarGz(modelDir.resolve("xgboost.tar.gz"), "xgboost-model.json", model.toByteArray());
        Files.createDirectories(holdout.toAbsolutePath().getParent());
        Files.write(holdout, test, StandardCharsets.UTF_8);
        System.out.println("wrote " + modelDir.resolve("transform.tar.gz") + ", " + modelDir.resolve("xgboost.tar.gz")
                + " and " + holdout);
    }

    static Table read(List<String> lines) {
        return TableReader.read(Payload.utf8(String.join("\n", lines)), "text/csv", HeaderPolicy.always());
    }

    static float[] labels(Table table) {
        int column = table.columns().indexOf("species");
        float[] labels = new float[table.rows().size()];
        for (int r = 0; r < labels.length; r++) {
            labels[r] = SPECIES.indexOf((String) table.cell(r, column));
        }
        return labels;
    }

    /** A one-file archive with a fixed time stamp, so that retraining gives the same bytes. */
    static void writeTarGz(Path archive, String name, byte[] content) throws IOException {
        try (OutputStream file = Files.newOutputStream(archive);
                TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(file))) {
            TarArchiveEntry entry = new TarArchiveEntry(name);
            entry.setSize(content.length);
            entry.setModTime(0);
            tar.putArchiveEntry(entry);
            tar.write(content);
            tar.closeArchiveEntry();
        }
    }
}
