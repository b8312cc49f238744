package dev.tandem.stages.support;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.MinimalPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.StageException;
import java.io.IOException;
import java.io.OutputStream;

/** The one JSON mapper of the built-in stages, and the refusals for bodies that are not JSON. */
public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {}

    public static JsonNode parse(Payload body) {
        try {
            return MAPPER.readTree(body.unsafeArray());
        } catch (IOException e) {
            throw StageException.badInput("the body is not valid JSON: " + firstLine(e));
        }
    }

    /**
     * A generator for {@code out}; with {@code lines}, root values are not separated by the space
     * Jackson puts between them, so that the caller's newlines make JSON Lines.
     */
    public static JsonGenerator generator(OutputStream out, boolean lines) throws IOException {
        JsonGenerator json = MAPPER.createGenerator(out);
        if (lines) {
            json.setPrettyPrinter(new MinimalPrettyPrinter(""));
        }
        return json;
    }

    public static Payload write(Object value) {
        try {
            return Payload.wrap(MAPPER.writeValueAsBytes(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    private static String firstLine(IOException e) {
        String message = String.valueOf(e.getMessage());
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
