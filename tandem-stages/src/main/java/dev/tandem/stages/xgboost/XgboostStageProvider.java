package dev.tandem.stages.xgboost;

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
import dev.tandem.stages.table.Matrix;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.XGBoost;
import ml.dmlc.xgboost4j.java.XGBoostError;
import org.jspecify.annotations.Nullable;

/**
 * {@code builtin:xgboost}: predictions of a saved XGBoost booster ({@code .json}, {@code .ubj}, or
 * SageMaker's {@code xgboost-model} file) through XGBoost4J. Rows in as CSV, JSON, JSON Lines or
 * libsvm; one row of scores per input row out — class probabilities for {@code multi:softprob},
 * one probability for {@code binary:logistic}, or raw margins.
 *
 * <p>Environment: {@code TANDEM_XGBOOST_MODEL} names the model file; {@code TANDEM_XGBOOST_OUTPUT}
 * is {@code probability} (the default, the objective's transformed output) or {@code margin};
 * {@code TANDEM_XGBOOST_THREADS} (default 1) is how many threads one prediction uses — requests
 * already run in parallel, one per core.
 *
 * <p>Predictions use {@code inplace_predict} on the request's float array: no {@code DMatrix} is
 * built per request, which costs about a millisecond.
 *
 * <p>With {@code TANDEM_MAX_BATCH_SIZE} above 1, concurrent requests are predicted together, their
 * rows stacked into one call and the scores split back ({@link BatchPolicy} has the settings).
 */
public final class XgboostStageProvider implements StageProvider {
    @Override
    public String name() {
        return "xgboost";
    }

    @Override
    public Stage create(StageContext context) throws XGBoostError {
        Settings settings = new Settings(context.environment());
        BatchPolicy batching = BatchPolicy.from(settings);
        Path file = ModelFiles.find(
                context.modelDir(), settings.string("TANDEM_XGBOOST_MODEL"), ".json", ".ubj", "xgboost-model");
        Booster booster;
        try {
            booster = XGBoost.loadModel(file.toString());
        } catch (XGBoostError e) {
            throw new IllegalArgumentException(
                    context.modelDir().relativize(file) + " is not a valid XGBoost model: " + firstLine(e), e);
        }
        booster.setParam("nthread", settings.integer("TANDEM_XGBOOST_THREADS", 1, 1, 256));
        boolean margin = settings.choice("TANDEM_XGBOOST_OUTPUT", "probability", "probability", "margin")
                .equals("margin");
        return new XgboostStage(context.hostname(), booster, (int) booster.getNumFeature(), margin, batching);
    }

    /** XGBoost's messages end with a native backtrace; its first line says what went wrong. */
    static String firstLine(XGBoostError e) {
        String message = String.valueOf(e.getMessage()).strip();
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    static final class XgboostStage implements Stage {
        private static final List<String> ACCEPTS =
                List.of(MediaTypes.CSV, MediaTypes.JSON, MediaTypes.JSON_LINES, MediaTypes.LIBSVM);
        private static final List<String> PRODUCES = List.of(MediaTypes.JSON, MediaTypes.CSV, MediaTypes.JSON_LINES);

        /** The iteration range {@code [0, 0)}: XGBoost's way to say every tree. */
        private static final int[] ALL_TREES = {0, 0};

        /** Every request of this stage has the same columns, so any two can share a batch. */
        private static final Object SAME_SHAPE = "rows of the model's features";

        private final Booster booster;
        private final int features;
        private final Booster.PredictionType predictionType;
        private final @Nullable DynamicBatcher<Matrix, Matrix> batcher;

        XgboostStage(String name, Booster booster, int features, boolean margin, BatchPolicy batching) {
            this.booster = booster;
            this.features = features;
            this.predictionType = margin ? Booster.PredictionType.kMargin : Booster.PredictionType.kValue;
            this.batcher = batching.enabled() ? new DynamicBatcher<>(name, batching, this::predict) : null;
        }

        @Override
        public StageResponse invoke(StageRequest request) {
            String contentType = request.contentType() == null ? MediaTypes.CSV : request.contentType();
            Matrix rows = MediaTypes.essence(contentType).equals(MediaTypes.LIBSVM)
                    ? Libsvm.read(request.body(), features)
                    : Matrix.read(request.body(), contentType);
            if (rows.columns() != features) {
                throw StageException.badInput(
                        "the model takes " + features + " features per row; the rows have " + rows.columns());
            }
            Matrix scores =
                    batcher == null ? predict(List.of(rows)).get(0) : batcher.call(rows, rows.rows(), SAME_SHAPE);
            String answer = MediaTypes.negotiate(request.accept(), PRODUCES).orElse(MediaTypes.JSON);
            return StageResponse.of(scores.write(answer), answer);
        }

        /** The scores of each request's rows, from one prediction over all of them. */
        private List<Matrix> predict(List<Matrix> requests) {
            Matrix rows = Matrix.stack(requests);
            float[][] scores;
            try {
                scores = booster.inplace_predict(
                        rows.values(), rows.rows(), rows.columns(), Float.NaN, ALL_TREES, predictionType, null);
            } catch (XGBoostError e) {
                throw new StageException(500, "XGBoost failed to predict: " + firstLine(e), e);
            }
            Matrix all = flatten(scores);
            if (requests.size() == 1) {
                return List.of(all);
            }
            List<Matrix> answers = new ArrayList<>(requests.size());
            int from = 0;
            for (Matrix request : requests) {
                answers.add(all.rows(from, from + request.rows()));
                from += request.rows();
            }
            return answers;
        }

        private static Matrix flatten(float[][] scores) {
            int width = scores.length == 0 ? 0 : scores[0].length;
            float[] values = new float[scores.length * width];
            for (int r = 0; r < scores.length; r++) {
                System.arraycopy(scores[r], 0, values, r * width, width);
            }
            return new Matrix(scores.length, width, values);
        }

        @Override
        public List<String> accepts() {
            return ACCEPTS;
        }

        @Override
        public List<String> produces() {
            return PRODUCES;
        }

        /** How many times the model has run batches; -1 unbatched. For tests. */
        long modelCalls() {
            return batcher == null ? -1 : batcher.modelCalls();
        }

        /** Unbatched, the request's own thread calls XGBoost; batched, the batcher's workers do. */
        @Override
        public boolean callsNativeCode() {
            return batcher == null;
        }

        @Override
        public void close() {
            if (batcher != null) {
                batcher.close();
            }
            booster.dispose();
        }
    }
}
