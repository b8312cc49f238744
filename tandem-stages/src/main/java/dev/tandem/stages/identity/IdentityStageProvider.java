package dev.tandem.stages.identity;

import dev.tandem.core.stage.Stage;
import dev.tandem.core.stage.StageContext;
import dev.tandem.core.stage.StageProvider;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.core.stage.StageResponse;

/**
 * {@code builtin:identity}: answers with the request's body and content type, unchanged. A
 * placeholder step, and the baseline for measuring what a pipeline hop costs.
 */
public final class IdentityStageProvider implements StageProvider {

    @Override
    public String name() {
        return "identity";
    }

    @Override
    public Stage create(StageContext context) {
        return new Identity();
    }

    private static final class Identity implements Stage {
        @Override
        public StageResponse invoke(StageRequest request) {
            return StageResponse.of(request.body(), request.contentType());
        }

        @Override
        public boolean nonBlocking() {
            return true;
        }
    }
}
