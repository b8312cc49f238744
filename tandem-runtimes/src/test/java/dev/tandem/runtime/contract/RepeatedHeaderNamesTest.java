package dev.tandem.runtime.contract;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.http.HttpClientOptions;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RepeatedHeaderNamesTest {
    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /** Headers in the order given: names and values in turn. */
    private static Map<String, String> inOrder(String... namesAndValues) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            headers.put(namesAndValues[i], namesAndValues[i + 1]);
        }
        return headers;
    }

    @Test
    void aNameSeenBeforeIsTheSameInstanceWithItsBytes() {
        RepeatedHeaderNames names = new RepeatedHeaderNames();
        byte[] first = ascii("Content-Type: text/csv");
        byte[] second = ascii("xxContent-Type: application/json");

        AsciiString once = names.name(first, 0, 12);
        AsciiString again = names.name(second, 2, 12);

        assertThat((Object) again).isSameAs(once);
        assertThat(once.toString()).isEqualTo("Content-Type");
        // Its own copy: the line it came from may be overwritten by the next read.
        first[0] = 'X';
        assertThat(once.toString()).isEqualTo("Content-Type");
    }

    @Test
    void namesThatDifferInABytePrefixOrCaseAreKeptApart() {
        RepeatedHeaderNames names = new RepeatedHeaderNames();
        byte[] line = ascii("Content-Type Content-Length content-type Content");

        AsciiString type = names.name(line, 0, 12);
        AsciiString length = names.name(line, 13, 14);
        AsciiString lowerType = names.name(line, 28, 12);
        AsciiString prefix = names.name(line, 41, 7);

        assertThat(List.of(type, length, lowerType, prefix))
                .extracting(AsciiString::toString)
                .containsExactly("Content-Type", "Content-Length", "content-type", "Content");
        assertThat((Object) lowerType).isNotSameAs(type);
        assertThat((Object) prefix).isNotSameAs(type);
    }

    @Test
    void aPeerSendingEverNewNamesIsAnsweredWithoutKeepingThemAll() {
        RepeatedHeaderNames names = new RepeatedHeaderNames();
        List<AsciiString> kept = new ArrayList<>();
        for (int i = 0; i < RepeatedHeaderNames.MAX_NAMES + 10; i++) {
            byte[] name = ascii("X-Name-" + i);
            kept.add(names.name(name, 0, name.length));
        }

        byte[] early = ascii("X-Name-3");
        byte[] late = ascii("X-Name-" + (RepeatedHeaderNames.MAX_NAMES + 5));
        assertThat((Object) names.name(early, 0, early.length)).isSameAs(kept.get(3));
        AsciiString unkept = names.name(late, 0, late.length);
        assertThat((Object) unkept)
                .isNotSameAs(kept.get(RepeatedHeaderNames.MAX_NAMES + 5))
                .isEqualTo(kept.get(RepeatedHeaderNames.MAX_NAMES + 5));
    }

    @Test
    void aContainersAnswersAreDecodedWithTheirHeadersWhateverTheirNamesOrder() {
        EmbeddedChannel channel = new EmbeddedChannel(StrictResponseDecoder.codec(new HttpClientOptions()));
        List<Map<String, String>> answers = List.of(
                inOrder("Content-Type", "application/json", "Server", "gunicorn", "X-Custom", "a"),
                inOrder("Server", "gunicorn", "X-Custom", "b", "Content-Type", "text/csv"));
        List<HttpResponse> heads = new ArrayList<>();
        for (Map<String, String> answer : answers) {
            channel.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/invocations"));
            ReferenceCountUtil.release(channel.readOutbound());
            StringBuilder head = new StringBuilder("HTTP/1.1 200 OK\r\n");
            answer.forEach((name, value) ->
                    head.append(name).append(": ").append(value).append("\r\n"));
            head.append("Content-Length: 2\r\n\r\nok");
            channel.writeInbound(Unpooled.copiedBuffer(head, StandardCharsets.US_ASCII));
            Object decoded;
            while ((decoded = channel.readInbound()) != null) {
                if (decoded instanceof HttpResponse response) {
                    heads.add(response);
                }
                if (decoded instanceof HttpContent content) {
                    assertThat(content.content().toString(StandardCharsets.US_ASCII))
                            .isEqualTo("ok");
                }
                ReferenceCountUtil.release(decoded);
            }
        }

        assertThat(heads).hasSize(2);
        for (int i = 0; i < answers.size(); i++) {
            HttpResponse head = heads.get(i);
            answers.get(i).forEach((name, value) -> {
                assertThat(head.headers().get(name)).isEqualTo(value);
                assertThat(head.headers().get(name.toLowerCase(java.util.Locale.ROOT)))
                        .isEqualTo(value);
            });
            assertThat(head.headers().get("Content-Length")).isEqualTo("2");
        }
        channel.finishAndReleaseAll();
    }
}
