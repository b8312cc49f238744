package dev.tandem.server.batch;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.core.error.TandemException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Fuzz tests of the batch transform's readers of users' data and settings: the record splitters
 * (Line, RecordIO, None), CSV lines, and the JSONPath of {@code InputFilter}/{@code OutputFilter}.
 * Any input is read, or refused with an {@link IOException} or Tandem's own error — nothing else.
 */
class BatchInputFuzzTest {
    /** How long each test explores in fuzzing mode ({@code JAZZER_FUZZ=1}, as .ci/fuzz runs them). */
    private static final String FUZZ_SECONDS = "30s";

    private static final ObjectMapper JSON = new ObjectMapper();

    @FuzzTest(maxDuration = FUZZ_SECONDS)
    void recordSplitters(byte[] data) {
        for (TransformJobSpec.Split split : TransformJobSpec.Split.values()) {
            RecordReader reader = RecordReader.of(split, new ByteArrayInputStream(data), 256);
            try {
                long total = 0;
                for (byte[] record = reader.next(); record != null; record = reader.next()) {
                    total += record.length;
                    if (record.length > 256 || total > data.length + 8L) {
                        throw new IllegalStateException(split + " made a record out of nothing or past its bound");
                    }
                }
            } catch (IOException refused) {
                // A record over the bound, or a RecordIO header that does not hold.
            }
        }
    }

    @FuzzTest(maxDuration = FUZZ_SECONDS)
    void csvLines(byte[] data) {
        String line = new String(data, StandardCharsets.UTF_8);
        CsvLine.write(CsvLine.parse(line));
    }

    @FuzzTest(maxDuration = FUZZ_SECONDS)
    void jsonPathFilters(byte[] data) throws IOException {
        String text = new String(data, StandardCharsets.UTF_8);
        int split = text.indexOf('\n');
        String expression = split < 0 ? text : text.substring(0, split);
        JsonNode document;
        try {
            document = JSON.readTree(split < 0 ? "{\"a\":[1,{\"b\":2}]}" : text.substring(split + 1));
        } catch (IOException notJson) {
            return;
        }
        try {
            JsonPath path = JsonPath.parse(expression, "InputFilter");
            if (document != null) {
                path.select(document);
            }
        } catch (TandemException refused) {
            if (refused.getMessage() == null || !refused.getMessage().contains("InputFilter")) {
                throw new IllegalStateException("a refusal that does not name the setting", refused);
            }
        }
    }
}
