package dev.tandem.stages.generate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CharacterModelTest {
    private static final String TEXT = "the cat sat on the mat. the dog sat on the log. ";

    private static String generate(CharacterModel model, String prompt, int characters, long seed, double temperature) {
        StringBuilder context = new StringBuilder(prompt);
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < characters; i++) {
            context.append(model.next(context, temperature, random));
        }
        return context.substring(prompt.length());
    }

    @Test
    void everyStretchItWritesOccursInTheTextItLearnedFrom() {
        CharacterModel model = new CharacterModel(TEXT, 4);
        String written = generate(model, "the ", 200, 1, 1.0);
        // With a context found in the text, each character is one that followed that context there:
        // every five characters written occur in the text (the text is its own continuation at its end).
        String cyclic = TEXT + TEXT;
        for (int i = 0; i + 5 <= written.length(); i++) {
            assertThat(cyclic).contains(written.substring(i, i + 5));
        }
    }

    @Test
    void theSameSeedWritesTheSameText() {
        CharacterModel model = new CharacterModel(TEXT, 6);
        assertThat(generate(model, "the", 100, 42, 0.8)).isEqualTo(generate(model, "the", 100, 42, 0.8));
        assertThat(generate(model, "the", 100, 42, 0.8)).isNotEqualTo(generate(model, "the", 100, 43, 0.8));
    }

    @Test
    void aPromptOfUnknownCharactersBacksOffToTheWholeText() {
        CharacterModel model = new CharacterModel(TEXT, 4);
        String written = generate(model, "§§§", 20, 3, 1.0);
        assertThat(written).hasSize(20);
        assertThat(written.chars()).allMatch(c -> TEXT.indexOf(c) >= 0);
    }

    @Test
    void aLowTemperatureFavoursTheLikeliestCharacter() {
        // After "a", "b" follows four times in five: at a temperature of 0.1 almost always.
        CharacterModel model = new CharacterModel("ab ab ab ab ac ", 2);
        int b = 0;
        SplittableRandom random = new SplittableRandom(5);
        for (int i = 0; i < 200; i++) {
            if (model.next("a", 0.1, random) == 'b') {
                b++;
            }
        }
        assertThat(b).isGreaterThan(195);
    }
}
