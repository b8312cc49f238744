package dev.tandem.stages.transform;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.tandem.core.stage.MediaTypes;
import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.Stage;
import dev.tandem.core.stage.StageContext;
import dev.tandem.core.stage.StageProvider;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.core.stage.StageResponse;
import dev.tandem.stages.support.Json;
import dev.tandem.stages.support.ModelFiles;
import dev.tandem.stages.support.Settings;
import dev.tandem.stages.table.Matrix;
import dev.tandem.stages.table.TableReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * {@code builtin:transform}: feature preprocessing declared in the model folder's {@code
 * transform.json} (see {@link TransformSpec}); rows in as CSV, JSON or JSON Lines, features out as
 * CSV (the default), JSON or JSON Lines.
 *
 * <p>Environment: {@code TANDEM_TRANSFORM_SPEC} names the spec file when it is not {@code
 * transform.json}.
 */
public final class TransformStageProvider implements StageProvider {
    @Override
    public String name() {
        return "transform";
    }

    @Override
    public Stage create(StageContext context) {
        Settings settings = new Settings(context.environment());
        Path file = ModelFiles.find(
                context.modelDir(), Optional.of(settings.string("TANDEM_TRANSFORM_SPEC", TransformSpec.FILE_NAME)));
        return new TransformStage(new Transformer(TransformSpec.read(file)));
    }

    static final class TransformStage implements Stage {
        private static final List<String> PRODUCES = List.of(MediaTypes.CSV, MediaTypes.JSON, MediaTypes.JSON_LINES);
        private final Transformer transformer;

        TransformStage(Transformer transformer) {
            this.transformer = transformer;
        }

        @Override
        public StageResponse invoke(StageRequest request) {
            String contentType = request.contentType() == null ? MediaTypes.CSV : request.contentType();
            Matrix features =
                    transformer.apply(TableReader.read(request.body(), contentType, transformer.headerPolicy()));
            String answer = MediaTypes.negotiate(request.accept(), PRODUCES).orElse(MediaTypes.CSV);
            if (answer.equals(MediaTypes.JSON) && transformer.spec().jsonShape().equals("records")) {
                return StageResponse.of(records(features), answer);
            }
            return StageResponse.of(features.write(answer, "instances"), answer);
        }

        private Payload records(Matrix features) {
            List<String> names = transformer.featureNames();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (JsonGenerator json = Json.MAPPER.createGenerator(out)) {
                json.writeStartArray();
                for (int r = 0; r < features.rows(); r++) {
                    json.writeStartObject();
                    for (int c = 0; c < features.columns(); c++) {
                        float value = features.get(r, c);
                        json.writeFieldName(names.get(c));
                        if (Float.isNaN(value)) {
                            json.writeNull();
                        } else {
                            json.writeNumber(value);
                        }
                    }
                    json.writeEndObject();
                }
                json.writeEndArray();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return Payload.wrap(out.toByteArray());
        }

        @Override
        public List<String> accepts() {
            return TableReader.TYPES;
        }

        @Override
        public List<String> produces() {
            return PRODUCES;
        }

        @Override
        public boolean nonBlocking() {
            return false; // a large batch takes milliseconds; keep it off the I/O thread
        }
    }
}
