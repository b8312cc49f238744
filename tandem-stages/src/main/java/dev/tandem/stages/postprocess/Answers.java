package dev.tandem.stages.postprocess;

import dev.tandem.core.stage.MediaTypes;
import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.StageException;
import dev.tandem.stages.support.Json;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes {@link Answer}s as JSON ({@code {"predictions": [{"label": ..., "score": ...}]}}), JSON
 * Lines (one such object per line) or CSV ({@code label,score[,label,score...]} per row).
 */
final class Answers {
    private final List<String> labels;
    private final int decimals;

    Answers(List<String> labels, int decimals) {
        this.labels = labels;
        this.decimals = decimals;
    }

    void checkLabels(int columns) {
        int classes = columns == 1 ? 2 : columns;
        if (!labels.isEmpty() && labels.size() != classes) {
            throw new StageException(
                    500,
                    "postprocess has " + labels.size() + " labels " + labels + " but the model gives " + columns
                            + " score(s) per row (" + classes + " classes)");
        }
    }

    Payload write(List<Answer> answers, String mediaType) {
        return switch (MediaTypes.essence(mediaType)) {
            case MediaTypes.CSV -> csv(answers);
            case MediaTypes.JSON_LINES -> json(answers, false);
            default -> json(answers, true);
        };
    }

    private Payload json(List<Answer> answers, boolean wrapped) {
        return Json.items(wrapped ? "predictions" : null, answers.size(), (json, i) -> {
            Answer answer = answers.get(i);
            json.writeStartObject();
            if (answer.single()) {
                json.writeStringField("label", label(answer.classes().get(0)));
                json.writeFieldName("score");
                json.writeNumber(round(answer.scores().get(0)));
            } else {
                if (!answer.classes().isEmpty()) {
                    json.writeArrayFieldStart("labels");
                    for (int index : answer.classes()) {
                        json.writeString(label(index));
                    }
                    json.writeEndArray();
                }
                json.writeArrayFieldStart("scores");
                for (float score : answer.scores()) {
                    json.writeNumber(round(score));
                }
                json.writeEndArray();
            }
            json.writeEndObject();
        });
    }

    private Payload csv(List<Answer> answers) {
        StringBuilder out = new StringBuilder(answers.size() * 24);
        for (Answer answer : answers) {
            for (int i = 0; i < answer.scores().size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                if (i < answer.classes().size()) {
                    out.append(csvCell(label(answer.classes().get(i)))).append(',');
                }
                out.append(round(answer.scores().get(i)).toPlainString());
            }
            out.append('\n');
        }
        return Payload.wrap(out.toString().getBytes(StandardCharsets.UTF_8));
    }

    private String label(int index) {
        return labels.isEmpty() ? Integer.toString(index) : labels.get(index);
    }

    private BigDecimal round(float score) {
        BigDecimal exact = new BigDecimal(Float.toString(score));
        return decimals < 0
                ? exact
                : exact.setScale(decimals, RoundingMode.HALF_EVEN).stripTrailingZeros();
    }

    private static String csvCell(String text) {
        boolean quote = text.contains(",") || text.contains("\"") || text.contains("\n");
        return quote ? '"' + text.replace("\"", "\"\"") + '"' : text;
    }
}
