package dev.tandem.stages.generate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tandem.core.stage.MediaTypes;
import dev.tandem.core.stage.StageException;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.stages.support.Json;
import org.jspecify.annotations.Nullable;

/**
 * What to generate: a prompt and the sampling parameters, in the shape SageMaker's LLM containers
 * (TGI, LMI) take — {@code {"inputs": "...", "parameters": {"max_new_tokens": 64, "temperature":
 * 0.8, "seed": 7}}} — or a plain-text body as the prompt with the stage's defaults.
 *
 * @param seed null to draw a different text each time
 */
record GenerationRequest(String prompt, int maxNewTokens, double temperature, @Nullable Long seed) {
    static final int MAX_TOKENS = 4096;

    static GenerationRequest read(StageRequest request, int defaultTokens, double defaultTemperature) {
        String type = request.contentType();
        if (type == null || !MediaTypes.isOneOf(type, java.util.List.of("application/json"))) {
            return new GenerationRequest(request.body().asUtf8(), defaultTokens, defaultTemperature, null);
        }
        JsonNode body = Json.parse(request.body());
        JsonNode inputs = body.path("inputs");
        if (!inputs.isTextual()) {
            throw StageException.badInput("The request needs \"inputs\": the prompt, as a string.");
        }
        JsonNode parameters = body.path("parameters");
        int tokens = parameters.path("max_new_tokens").asInt(defaultTokens);
        if (tokens < 1 || tokens > MAX_TOKENS) {
            throw StageException.badInput("parameters.max_new_tokens must be from 1 to " + MAX_TOKENS + ", got "
                    + parameters.path("max_new_tokens"));
        }
        double temperature = parameters.path("temperature").asDouble(defaultTemperature);
        if (!(temperature > 0) || temperature > 10) {
            throw StageException.badInput(
                    "parameters.temperature must be above 0 and at most 10, got " + parameters.path("temperature"));
        }
        JsonNode seed = parameters.path("seed");
        return new GenerationRequest(
                inputs.asText(), tokens, temperature, seed.isIntegralNumber() ? seed.asLong() : null);
    }
}
