package dev.tandem.stages.generate;

import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.ResponseStream;
import dev.tandem.core.stage.Stage;
import dev.tandem.core.stage.StageContext;
import dev.tandem.core.stage.StageProvider;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.core.stage.StageResponse;
import dev.tandem.stages.support.Settings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;
import java.util.stream.Stream;

/**
 * {@code builtin:text-generator}: a small generative text model that streams its answer word by
 * word — a character-level language model ({@link CharacterModel}) trained, when the stage loads,
 * on the text files of its model folder.
 *
 * <p>Settings ({@code Environment}): {@code TANDEM_CORPUS}, the files to learn from, comma-separated
 * and relative to the model folder (a folder stands for its {@code .txt} and {@code .md} files;
 * default: those of the model folder itself); {@code TANDEM_ORDER}, the longest context it looks
 * at, in characters (8); {@code TANDEM_MAX_NEW_TOKENS} (64) and {@code TANDEM_TEMPERATURE} (0.8),
 * the defaults of a request's parameters; {@code TANDEM_TOKENS_PER_SECOND}, a pace for the model
 * to keep (0, the default: as fast as it generates — microseconds a word — which a large model is
 * not; a pace shows what streaming changes for a client).
 */
public final class TextGeneratorStageProvider implements StageProvider {
    static final String TEXT = "text/plain; charset=utf-8";
    /** The most characters one token gets before it is cut, so that no word runs forever. */
    private static final int MAX_TOKEN_CHARS = 48;

    @Override
    public String name() {
        return "text-generator";
    }

    @Override
    public Stage create(StageContext context) throws IOException {
        Settings settings = new Settings(context.environment());
        String corpus = read(context.modelDir(), settings.string("TANDEM_CORPUS", ""));
        CharacterModel model = new CharacterModel(corpus, settings.integer("TANDEM_ORDER", 8, 1, 64));
        return new Generator(
                model,
                settings.integer("TANDEM_MAX_NEW_TOKENS", 64, 1, GenerationRequest.MAX_TOKENS),
                settings.decimal("TANDEM_TEMPERATURE", 0.8),
                settings.integer("TANDEM_TOKENS_PER_SECOND", 0, 0, 100_000));
    }

    /** The training text: the listed files (or the model folder's text files), one after another. */
    private static String read(Path modelDir, String listed) throws IOException {
        List<Path> files = new ArrayList<>();
        if (listed.isBlank()) {
            files.addAll(textFiles(modelDir));
        } else {
            for (String name : listed.split(",", -1)) {
                if (name.isBlank()) {
                    continue;
                }
                Path path = modelDir.resolve(name.strip()).normalize();
                if (!path.startsWith(modelDir.normalize())) {
                    throw new IllegalArgumentException(
                            "TANDEM_CORPUS names " + name.strip() + ", outside the model folder");
                }
                if (Files.isDirectory(path)) {
                    files.addAll(textFiles(path));
                } else if (Files.isRegularFile(path)) {
                    files.add(path);
                } else {
                    throw new IllegalArgumentException(
                            "TANDEM_CORPUS names " + name.strip() + ", which does not exist in " + modelDir);
                }
            }
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException(
                    "no text to learn from: put .txt or .md files in the model folder, or name them in TANDEM_CORPUS");
        }
        StringBuilder text = new StringBuilder();
        for (Path file : files) {
            text.append(Files.readString(file, StandardCharsets.UTF_8)).append("\n\n");
        }
        return text.toString();
    }

    private static List<Path> textFiles(Path folder) throws IOException {
        try (Stream<Path> listing = Files.list(folder)) {
            return listing.filter(Files::isRegularFile)
                    .filter(file ->
                            file.toString().endsWith(".txt") || file.toString().endsWith(".md"))
                    .sorted()
                    .toList();
        }
    }

    private static final class Generator implements Stage {
        private final CharacterModel model;
        private final int defaultTokens;
        private final double defaultTemperature;
        private final long nanosPerToken;

        Generator(CharacterModel model, int defaultTokens, double defaultTemperature, int tokensPerSecond) {
            this.model = model;
            this.defaultTokens = defaultTokens;
            this.defaultTemperature = defaultTemperature;
            this.nanosPerToken = tokensPerSecond == 0 ? 0 : 1_000_000_000L / tokensPerSecond;
        }

        @Override
        public StageResponse invoke(StageRequest request) {
            StringBuilder answer = new StringBuilder();
            generate(GenerationRequest.read(request, defaultTokens, defaultTemperature), answer::append);
            return StageResponse.of(Payload.utf8(answer.toString()), TEXT);
        }

        @Override
        public boolean streams() {
            return true;
        }

        @Override
        public void stream(StageRequest request, ResponseStream out) {
            // Read before the answer starts: a bad request is then an ordinary error, not a broken stream.
            GenerationRequest asked = GenerationRequest.read(request, defaultTokens, defaultTemperature);
            out.start(TEXT, null);
            generate(asked, out::write);
        }

        @Override
        public List<String> accepts() {
            return List.of("application/json", "text/plain");
        }

        @Override
        public List<String> produces() {
            return List.of("text/plain");
        }

        /** Generates word by word, each word handed on as soon as it is complete. */
        private void generate(GenerationRequest asked, Consumer<String> words) {
            RandomGenerator random = asked.seed() != null ? new SplittableRandom(asked.seed()) : new SplittableRandom();
            StringBuilder context = new StringBuilder(asked.prompt());
            long start = System.nanoTime();
            for (int token = 0; token < asked.maxNewTokens(); token++) {
                String word = nextWord(context, asked.temperature(), random);
                if (nanosPerToken > 0) {
                    // The model's pace: each word no earlier than its time.
                    long due = start + (token + 1) * nanosPerToken;
                    for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                        LockSupport.parkNanos(wait);
                    }
                }
                words.accept(word);
            }
        }

        /** Characters up to and including the whitespace that ends a word. */
        private String nextWord(StringBuilder context, double temperature, RandomGenerator random) {
            StringBuilder word = new StringBuilder();
            boolean inWord = false;
            while (word.length() < MAX_TOKEN_CHARS) {
                char next = model.next(context, temperature, random);
                context.append(next);
                word.append(next);
                if (Character.isWhitespace(next)) {
                    if (inWord) {
                        break;
                    }
                } else {
                    inWord = true;
                }
            }
            // Only the last characters are context: the rest would grow without use.
            if (context.length() > 4 * model.order()) {
                context.delete(0, context.length() - model.order());
            }
            return word.toString();
        }
    }
}
