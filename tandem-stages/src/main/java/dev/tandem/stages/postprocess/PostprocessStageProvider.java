package dev.tandem.stages.postprocess;

import dev.tandem.core.stage.MediaTypes;
import dev.tandem.core.stage.Stage;
import dev.tandem.core.stage.StageContext;
import dev.tandem.core.stage.StageProvider;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.core.stage.StageResponse;
import dev.tandem.stages.support.ModelFiles;
import dev.tandem.stages.support.Settings;
import dev.tandem.stages.table.Matrix;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * {@code builtin:postprocess}: turns a model's scores (one row per input, as CSV, JSON {@code
 * {"predictions": [[...]]}} or JSON Lines) into answers — the best label, labels above a
 * threshold, or the top k — shaped by {@code Accept} as JSON, JSON Lines or CSV.
 *
 * <p>Environment:
 *
 * <ul>
 *   <li>{@code TANDEM_POSTPROCESS}: {@code argmax} (the default), {@code threshold}, {@code topk}
 *       or {@code round} (scores only).
 *   <li>{@code TANDEM_LABELS}: the class names, comma-separated, in score order; else the model
 *       folder's {@code labels.txt} (one per line); else the class index.
 *   <li>{@code TANDEM_THRESHOLD} (default 0.5): for one score per row, the positive label's cut;
 *       for several, the cut each class must reach to be listed.
 *   <li>{@code TANDEM_TOP_K} (default 3), {@code TANDEM_DECIMALS} (default 4; -1 keeps every digit).
 * </ul>
 */
public final class PostprocessStageProvider implements StageProvider {
    @Override
    public String name() {
        return "postprocess";
    }

    @Override
    public Stage create(StageContext context) {
        Settings settings = new Settings(context.environment());
        Decision decision =
                switch (settings.choice("TANDEM_POSTPROCESS", "argmax", "argmax", "threshold", "topk", "round")) {
                    case "threshold" -> new Decision.Threshold(settings.decimal("TANDEM_THRESHOLD", 0.5));
                    case "topk" -> new Decision.TopK(settings.integer("TANDEM_TOP_K", 3, 1, 1_000_000));
                    case "round" -> new Decision.Scores();
                    default -> new Decision.Argmax(settings.decimal("TANDEM_THRESHOLD", 0.5));
                };
        return new PostprocessStage(
                decision, labels(settings, context.modelDir()), settings.integer("TANDEM_DECIMALS", 4, -1, 12));
    }

    private static List<String> labels(Settings settings, Path modelDir) {
        Optional<String> inline = settings.string("TANDEM_LABELS");
        if (inline.isPresent()) {
            return Arrays.stream(inline.get().split(",", -1)).map(String::strip).toList();
        }
        Optional<Path> file = ModelFiles.optional(modelDir, "labels.txt");
        if (file.isEmpty()) {
            return List.of();
        }
        try {
            return Files.readAllLines(file.get()).stream()
                    .map(String::strip)
                    .filter(line -> !line.isEmpty())
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read labels.txt", e);
        }
    }

    static final class PostprocessStage implements Stage {
        private static final List<String> ACCEPTS = List.of(MediaTypes.JSON, MediaTypes.CSV, MediaTypes.JSON_LINES);
        private static final List<String> PRODUCES = List.of(MediaTypes.JSON, MediaTypes.JSON_LINES, MediaTypes.CSV);

        private final Decision decision;
        private final Answers answers;

        PostprocessStage(Decision decision, List<String> labels, int decimals) {
            this.decision = decision;
            this.answers = new Answers(labels, decimals);
        }

        @Override
        public StageResponse invoke(StageRequest request) {
            String contentType = request.contentType() == null ? MediaTypes.JSON : request.contentType();
            Matrix scores = Matrix.read(request.body(), contentType);
            answers.checkLabels(scores.columns());
            List<Answer> decided = decision.decide(scores);
            String answer = MediaTypes.negotiate(request.accept(), PRODUCES).orElse(MediaTypes.JSON);
            return StageResponse.of(answers.write(decided, answer), answer);
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
        public boolean nonBlocking() {
            return false;
        }
    }
}
