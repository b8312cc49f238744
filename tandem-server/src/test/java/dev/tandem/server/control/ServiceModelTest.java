package dev.tandem.server.control;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.core.error.ValidationException;
import org.junit.jupiter.api.Test;

class ServiceModelTest {
    private static final ServiceModel MODEL = ServiceModel.load();

    private static JsonNode json(String text) throws Exception {
        return new ObjectMapper().readTree(text);
    }

    @Test
    void acceptsAValidRequest() throws Exception {
        JsonNode request = json(
                """
                {"EndpointConfigName": "c", "ProductionVariants": [
                  {"VariantName": "A", "ModelName": "m", "InitialInstanceCount": 2, "InitialVariantWeight": 0.5}]}
                """);

        assertThatCode(() -> MODEL.validate("CreateEndpointConfigInput", request))
                .doesNotThrowAnyException();
    }

    @Test
    void namesEveryViolationWithItsPathAsSageMakerDoes() throws Exception {
        JsonNode request = json(
                """
                {"EndpointConfigName": "bad name", "ProductionVariants": [
                  {"VariantName": "A", "InitialInstanceCount": 0, "Surprise": true}]}
                """);

        assertThatThrownBy(() -> MODEL.validate("CreateEndpointConfigInput", request))
                .isInstanceOf(ValidationException.class)
                .hasMessageStartingWith("4 validation errors detected: ")
                .hasMessageContaining(
                        "Value 'bad name' at 'endpointConfigName' failed to satisfy constraint: Member must"
                                + " satisfy regular expression pattern")
                .hasMessageContaining("Value null at 'productionVariants.1.member.modelName' failed to satisfy"
                        + " constraint: Member must not be null")
                .hasMessageContaining(
                        "Value '0' at 'productionVariants.1.member.initialInstanceCount' failed to satisfy"
                                + " constraint: Member must have value greater than or equal to 1")
                .hasMessageContaining("Member 'Surprise' at 'productionVariants.1.member' is not a known member");
    }

    @Test
    void checksEnumsAndTypes() throws Exception {
        assertThatThrownBy(() ->
                        MODEL.validate("ListEndpointsInput", json("{\"SortBy\": \"Size\", \"MaxResults\": \"ten\"}")))
                .hasMessageContaining("Member must satisfy enum value set: [Name, CreationTime, Status]")
                .hasMessageContaining(
                        "Value 'ten' at 'maxResults' failed to satisfy constraint: Member must be an integer");
    }
}
