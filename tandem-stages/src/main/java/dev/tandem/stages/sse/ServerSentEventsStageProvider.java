package dev.tandem.stages.sse;

import dev.tandem.core.stage.PartSource;
import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.ResponseStream;
import dev.tandem.core.stage.Stage;
import dev.tandem.core.stage.StageContext;
import dev.tandem.core.stage.StageProvider;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.core.stage.StageResponse;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * {@code builtin:sse}: frames the previous stage's answer as Server-Sent Events ({@code
 * text/event-stream}), the form browsers' {@code EventSource} and most LLM clients read a stream
 * in. It consumes a stream: each part that arrives leaves at once as one event, its lines as {@code
 * data:} lines (which a client joins back with newlines). A character split between two parts is
 * kept until it is whole, so an event is always valid UTF-8. Asked for a whole answer, it answers
 * one event.
 */
public final class ServerSentEventsStageProvider implements StageProvider {
    static final String EVENT_STREAM = "text/event-stream; charset=utf-8";

    @Override
    public String name() {
        return "sse";
    }

    @Override
    public Stage create(StageContext context) {
        return new Framer();
    }

    private static final class Framer implements Stage {
        @Override
        public StageResponse invoke(StageRequest request) {
            return StageResponse.of(Payload.wrap(event(request.body().asUtf8())), EVENT_STREAM);
        }

        @Override
        public boolean nonBlocking() {
            return true;
        }

        @Override
        public boolean consumesStream() {
            return true;
        }

        @Override
        public void consume(StageRequest request, PartSource in, ResponseStream out) {
            out.start(EVENT_STREAM, null);
            byte[] pending = new byte[0];
            for (byte[] part = in.next(); part != null; part = in.next()) {
                byte[] bytes = pending.length == 0 ? part : concat(pending, part);
                int whole = wholeCharacters(bytes);
                pending = Arrays.copyOfRange(bytes, whole, bytes.length);
                if (whole > 0) {
                    out.write(event(new String(bytes, 0, whole, StandardCharsets.UTF_8)));
                }
            }
            if (pending.length > 0) {
                out.write(event(new String(pending, StandardCharsets.UTF_8)));
            }
        }

        @Override
        public List<String> produces() {
            return List.of("text/event-stream");
        }
    }

    /** One event: each line of {@code text} a {@code data:} line, then the blank line that ends it. */
    static byte[] event(String text) {
        ByteArrayOutputStream event = new ByteArrayOutputStream(text.length() + 16);
        for (String line : text.replace("\r\n", "\n").split("\n", -1)) {
            event.writeBytes("data: ".getBytes(StandardCharsets.UTF_8));
            event.writeBytes(line.getBytes(StandardCharsets.UTF_8));
            event.write('\n');
        }
        event.write('\n');
        return event.toByteArray();
    }

    /** How many of {@code bytes} are whole UTF-8 characters: all but an unfinished one at the end. */
    static int wholeCharacters(byte[] bytes) {
        int end = bytes.length;
        // A character is at most 4 bytes: look back at most 3 for the lead byte of an unfinished one.
        for (int back = 1; back <= Math.min(3, end); back++) {
            int b = bytes[end - back] & 0xff;
            if ((b & 0xc0) == 0x80) {
                continue; // a continuation byte
            }
            int length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
            return length > back ? end - back : end;
        }
        return end;
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] joined = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, joined, first.length, second.length);
        return joined;
    }
}
