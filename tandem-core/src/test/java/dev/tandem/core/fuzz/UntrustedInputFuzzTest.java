package dev.tandem.core.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tandem.core.error.TandemException;
import dev.tandem.core.model.PipelineParser;
import dev.tandem.core.stage.MediaTypes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * Coverage-guided fuzz tests of the core's parsers of untrusted input. Every build replays the
 * committed corpus ({@code src/test/resources/…/UntrustedInputFuzzTestInputs}); {@code .ci/fuzz}
 * explores beyond it for a bounded time. The property is the same for each: any input either
 * parses or is refused with Tandem's own error naming the problem — never another exception, a
 * hang or a crash.
 */
class UntrustedInputFuzzTest {
    /** How long each test explores in fuzzing mode ({@code JAZZER_FUZZ=1}, as .ci/fuzz runs them). */
    private static final String FUZZ_SECONDS = "30s";

    private static final PipelineParser PARSER = new PipelineParser();

    @FuzzTest(maxDuration = FUZZ_SECONDS)
    void pipelineFile(byte[] json) {
        try {
            PARSER.parse(json, Path.of("/models"));
        } catch (TandemException refused) {
            requireMessage(refused);
        }
    }

    @FuzzTest(maxDuration = FUZZ_SECONDS)
    void mediaTypes(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        int split = text.indexOf('\n');
        String accept = split < 0 ? text : text.substring(0, split);
        String contentType = split < 0 ? text : text.substring(split + 1);
        MediaTypes.essence(contentType);
        MediaTypes.isOneOf(contentType, List.of(MediaTypes.CSV, MediaTypes.JSON));
        MediaTypes.negotiate(accept, List.of(MediaTypes.CSV, MediaTypes.JSON, MediaTypes.TEXT));
    }

    static void requireMessage(TandemException refused) {
        if (refused.getMessage() == null || refused.getMessage().isBlank()) {
            throw new IllegalStateException("a refusal without a message", refused);
        }
    }
}
