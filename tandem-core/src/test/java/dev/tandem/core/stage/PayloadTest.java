package dev.tandem.core.stage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class PayloadTest {
    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aBodyInPiecesIsTheBytesOfItsPiecesInOrder() throws Exception {
        Payload pieces = Payload.ofPieces(List.of(utf8("Hello, "), new byte[0], utf8("pipe"), utf8("line")));

        assertThat(pieces.size()).isEqualTo(15);
        assertThat(pieces.asUtf8()).isEqualTo("Hello, pipeline");
        assertThat(pieces)
                .isEqualTo(Payload.utf8("Hello, pipeline"))
                .hasSameHashCodeAs(Payload.utf8("Hello, pipeline"));
        assertThat(pieces.openStream().readAllBytes()).isEqualTo(utf8("Hello, pipeline"));
        assertThat(pieces.preview(5)).isEqualTo("Hello");
        assertThat(pieces.unsafePieces()).hasSize(4);
    }

    @Test
    void piecesAreJoinedOnceAndACopyIsTheCallersOwn() {
        Payload pieces = Payload.ofPieces(List.of(utf8("ab"), utf8("cd")));

        byte[] joined = pieces.unsafeArray();
        assertThat(pieces.unsafeArray()).isSameAs(joined);
        byte[] copy = pieces.toByteArray();
        copy[0] = 'z';
        assertThat(pieces.asUtf8()).isEqualTo("abcd");
    }

    @Test
    void onePieceIsThatArrayAndNoneIsEmpty() {
        byte[] only = utf8("whole");

        assertThat(Payload.ofPieces(List.of(only)).unsafeArray()).isSameAs(only);
        assertThat(Payload.ofPieces(List.of()).isEmpty()).isTrue();
        assertThat(Payload.ofPieces(List.of(new byte[0], new byte[0]))).isEqualTo(Payload.empty());
        assertThat(Payload.wrap(only).unsafePieces()).containsExactly(only);
    }
}
