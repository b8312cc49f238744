package dev.tandem.server.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.core.error.ValidationException;
import org.junit.jupiter.api.Test;

/**
 * The helpers behind a transform job's {@code InputFilter} and {@code OutputFilter}: CSV rows as
 * arrays and back (RFC 4180), and the JSONPath subset SageMaker documents for filters.
 */
class RecordFiltersTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }

    @Test
    void aCsvRowBecomesItsFieldsQuotesAndDoubledQuotesIncluded() throws Exception {
        assertThat(CsvLine.parse("1,\"a,b\",\"say \"\"hi\"\"\","))
                .isEqualTo(json("[\"1\",\"a,b\",\"say \\\"hi\\\"\",\"\"]"));
        assertThat(CsvLine.parse("")).isEqualTo(json("[\"\"]"));
    }

    @Test
    void fieldsAreWrittenBackQuotedOnlyWhereTheyMustBe() throws Exception {
        assertThat(CsvLine.write(json("[\"1\",\"a,b\",\"say \\\"hi\\\"\",2.5]")))
                .isEqualTo("1,\"a,b\",\"say \"\"hi\"\"\",2.5");
        assertThat(CsvLine.write(json("[[1,2],{\"k\":\"v\"}]")))
                .as("a nested value as its JSON")
                .isEqualTo("\"[1,2]\",\"{\"\"k\"\":\"\"v\"\"}\"");
        assertThat(CsvLine.write(json("\"x\""))).isEqualTo("x");
        String row = "7,\"a,b\",\"q\"\"q\"";
        assertThat(CsvLine.write(CsvLine.parse(row))).as("a round trip").isEqualTo(row);
    }

    @Test
    void indicesAndSlicesPickElementsInTheOrderWrittenNegativesFromTheEnd() throws Exception {
        JsonNode row = json("[0,1,2,3,4]");

        assertThat(JsonPath.parse("$[0]", "InputFilter").select(row)).isEqualTo(json("[0]"));
        assertThat(JsonPath.parse("$[1:]", "InputFilter").select(row)).isEqualTo(json("[1,2,3,4]"));
        assertThat(JsonPath.parse("$[:-1]", "InputFilter").select(row)).isEqualTo(json("[0,1,2,3]"));
        assertThat(JsonPath.parse("$[4, 0, 2:4]", "InputFilter").select(row)).isEqualTo(json("[4,0,2,3]"));
        assertThat(JsonPath.parse("$[7]", "InputFilter").select(row)).isEqualTo(json("[]"));
        assertThat(JsonPath.parse("$[0]", "InputFilter").select(json("{\"a\":1}")))
                .isNull();
    }

    @Test
    void membersAndPathsPickFromObjects() throws Exception {
        JsonNode record = json("{\"id\":7,\"features\":{\"x\":[1,2]},\"label\":\"a\"}");

        assertThat(JsonPath.parse("$", "OutputFilter").select(record)).isEqualTo(record);
        assertThat(JsonPath.parse("$.features.x", "OutputFilter").select(record))
                .isEqualTo(json("[1,2]"));
        assertThat(JsonPath.parse("$.features.missing", "OutputFilter").select(record))
                .isNull();
        assertThat(JsonPath.parse("$['id','label','nope']", "OutputFilter").select(record))
                .isEqualTo(json("{\"id\":7,\"label\":\"a\"}"));
    }

    @Test
    void anythingElseIsRefusedNamingTheFilterAndWhatIsSupported() {
        for (String unsupported : new String[] {"a", "$.", "$..a", "$[a]", "$['a", "$.a[0]", "$[?(@.x)]"}) {
            assertThatThrownBy(() -> JsonPath.parse(unsupported, "InputFilter"))
                    .as(unsupported)
                    .isInstanceOf(ValidationException.class)
                    .hasMessageStartingWith("InputFilter '" + unsupported + "' is not a JSONPath Tandem supports");
        }
    }
}
