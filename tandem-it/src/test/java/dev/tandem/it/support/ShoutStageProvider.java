package dev.tandem.it.support;

import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.Stage;
import dev.tandem.core.stage.StageContext;
import dev.tandem.core.stage.StageException;
import dev.tandem.core.stage.StageProvider;
import dev.tandem.core.stage.StageResponse;
import java.util.Locale;

/**
 * A user's own stage, {@code builtin:shout}: upper-cases text, refuses anything else. Tests pack
 * it into a jar of its own, so that Tandem finds it only through {@code --stage-path}.
 */
public final class ShoutStageProvider implements StageProvider {

    @Override
    public String name() {
        return "shout";
    }

    @Override
    public Stage create(StageContext context) {
        String suffix = context.environment().getOrDefault("SUFFIX", "!");
        return request -> {
            if (request.contentType() == null || !request.contentType().startsWith("text/")) {
                throw StageException.badInput("shout reads text, got " + request.contentType());
            }
            return StageResponse.of(
                    Payload.utf8(request.body().asUtf8().toUpperCase(Locale.ROOT) + suffix), "text/plain");
        };
    }
}
