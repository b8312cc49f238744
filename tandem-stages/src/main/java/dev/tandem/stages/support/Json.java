package dev.tandem.stages.support;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.MinimalPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.StageException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import org.jspecify.annotations.Nullable;

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

    /** Writes one item of a list. */
    @FunctionalInterface
    public interface ItemWriter {
        void write(JsonGenerator json, int index) throws IOException;
    }

    /**
     * {@code count} items as {@code {"KEY": [item, ...]}}, or — {@code key} null — as JSON Lines,
     * one item per line: the two list shapes every stage answers in.
     */
    public static Payload items(@Nullable String key, int count, ItemWriter item) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(count * 32 + 32);
        try (JsonGenerator json = generator(out, key == null)) {
            if (key != null) {
                json.writeStartObject();
                json.writeArrayFieldStart(key);
            }
            for (int i = 0; i < count; i++) {
                item.write(json, i);
                if (key == null) {
                    json.writeRaw('\n');
                }
            }
            if (key != null) {
                json.writeEndArray();
                json.writeEndObject();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Payload.wrap(out.toByteArray());
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
