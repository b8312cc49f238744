package dev.tandem.stages.generate;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * A character-level language model of a text: the next character is drawn from those that follow
 * the longest stretch of the text so far (up to {@code order} characters) that also occurs in the
 * training text, each in proportion to how often it does — an n-gram model with backoff, the
 * oldest kind of generative text model.
 *
 * <p>It keeps no tables: the training text's suffix array is the whole model. All the places where
 * a context occurs are one range of the sorted suffixes, found by binary search, so a character
 * costs {@code O(order · log n)} comparisons and the model's memory is four bytes per character.
 */
final class CharacterModel {
    private final String text;
    /** The text's suffixes, as start positions, in lexicographic order. */
    private final int[] suffixes;

    private final int order;

    CharacterModel(String text, int order) {
        if (text.length() < 2) {
            throw new IllegalArgumentException("a character model needs a text of at least two characters");
        }
        this.text = text;
        this.order = order;
        this.suffixes = sortedSuffixes(text);
    }

    int order() {
        return order;
    }

    int size() {
        return text.length();
    }

    /**
     * The next character after {@code context}, drawn from what follows its longest tail found in
     * the text; {@code temperature} below 1 favours the likelier characters, above 1 evens them out.
     */
    char next(CharSequence context, double temperature, RandomGenerator random) {
        for (int length = Math.min(order, context.length()); length >= 0; length--) {
            CharSequence tail = context.subSequence(context.length() - length, context.length());
            int from = lowerBound(tail);
            int to = upperBound(tail, from);
            // A context that only ends the text has no next character: look at a shorter one.
            Map<Character, Integer> counts = new HashMap<>();
            for (int i = from; i < to; i++) {
                int after = suffixes[i] + length;
                if (after < text.length()) {
                    counts.merge(text.charAt(after), 1, Integer::sum);
                }
            }
            if (!counts.isEmpty()) {
                return draw(counts, temperature, random);
            }
        }
        throw new IllegalStateException("the text has no character to follow anything");
    }

    private static char draw(Map<Character, Integer> counts, double temperature, RandomGenerator random) {
        double exponent = 1 / Math.max(temperature, 0.01);
        double total = 0;
        for (int count : counts.values()) {
            total += Math.pow(count, exponent);
        }
        double point = random.nextDouble() * total;
        char last = 0;
        for (Map.Entry<Character, Integer> entry : counts.entrySet()) {
            last = entry.getKey();
            point -= Math.pow(entry.getValue(), exponent);
            if (point <= 0) {
                return last;
            }
        }
        return last;
    }

    /** The first suffix not before {@code prefix}. */
    private int lowerBound(CharSequence prefix) {
        int low = 0;
        int high = suffixes.length;
        while (low < high) {
            int middle = (low + high) >>> 1;
            if (comparePrefix(suffixes[middle], prefix) < 0) {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        return low;
    }

    /** The first suffix from {@code from} on that does not start with {@code prefix}. */
    private int upperBound(CharSequence prefix, int from) {
        int low = from;
        int high = suffixes.length;
        while (low < high) {
            int middle = (low + high) >>> 1;
            if (comparePrefix(suffixes[middle], prefix) <= 0) {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        return low;
    }

    /** The suffix at {@code start}, cut to the prefix's length, compared with it. */
    private int comparePrefix(int start, CharSequence prefix) {
        int length = Math.min(prefix.length(), text.length() - start);
        for (int i = 0; i < length; i++) {
            int difference = text.charAt(start + i) - prefix.charAt(i);
            if (difference != 0) {
                return difference;
            }
        }
        return length == prefix.length() ? 0 : -1;
    }

    /**
     * The suffix array, by prefix doubling: sorted by their first 1, 2, 4, … characters, each round
     * ranking pairs of the previous round's ranks, until every rank is distinct.
     */
    private static int[] sortedSuffixes(String text) {
        int n = text.length();
        Integer[] order = new Integer[n];
        int[] rank = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
            rank[i] = text.charAt(i);
        }
        int[] next = new int[n];
        for (int span = 1; ; span <<= 1) {
            int width = span;
            int[] current = rank;
            java.util.Comparator<Integer> byPair = (a, b) -> {
                if (current[a] != current[b]) {
                    return Integer.compare(current[a], current[b]);
                }
                int ra = a + width < n ? current[a + width] : -1;
                int rb = b + width < n ? current[b + width] : -1;
                return Integer.compare(ra, rb);
            };
            Arrays.sort(order, byPair);
            next[order[0]] = 0;
            for (int i = 1; i < n; i++) {
                next[order[i]] = next[order[i - 1]] + (byPair.compare(order[i - 1], order[i]) < 0 ? 1 : 0);
            }
            rank = next.clone();
            if (rank[order[n - 1]] == n - 1) {
                break;
            }
        }
        int[] sorted = new int[n];
        for (int i = 0; i < n; i++) {
            sorted[i] = order[i];
        }
        return sorted;
    }
}
