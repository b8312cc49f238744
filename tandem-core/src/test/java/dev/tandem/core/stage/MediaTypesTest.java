package dev.tandem.core.stage;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class MediaTypesTest {
    private static final List<String> OFFERED = List.of("application/json", "text/csv");

    @Test
    void anAbsentAcceptTakesTheProducersDefault() {
        assertThat(MediaTypes.negotiate(null, OFFERED)).hasValue("application/json");
        assertThat(MediaTypes.negotiate(" ", OFFERED)).hasValue("application/json");
    }

    @Test
    void rangesAndQualitiesChooseAmongTheOfferedTypes() {
        assertThat(MediaTypes.negotiate("text/csv", OFFERED)).hasValue("text/csv");
        assertThat(MediaTypes.negotiate("TEXT/CSV; charset=utf-8", OFFERED)).hasValue("text/csv");
        assertThat(MediaTypes.negotiate("text/*", OFFERED)).hasValue("text/csv");
        assertThat(MediaTypes.negotiate("*/*", OFFERED)).hasValue("application/json");
        assertThat(MediaTypes.negotiate("application/json;q=0.5, text/csv", OFFERED))
                .hasValue("text/csv");
        assertThat(MediaTypes.negotiate("*/*;q=0.1, application/json;q=0", OFFERED))
                .hasValue("text/csv");
        assertThat(MediaTypes.negotiate("image/png", OFFERED)).isEmpty();
        assertThat(MediaTypes.negotiate("garbage", OFFERED)).isEmpty();
    }

    @Test
    void contentTypesMatchIgnoringParametersAndCase() {
        assertThat(MediaTypes.essence(" Text/CSV ; header=present")).isEqualTo("text/csv");
        assertThat(MediaTypes.isOneOf("application/JSON; charset=utf-8", OFFERED))
                .isTrue();
        assertThat(MediaTypes.isOneOf("text/plain", OFFERED)).isFalse();
    }
}
