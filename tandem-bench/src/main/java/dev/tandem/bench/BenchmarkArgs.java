package dev.tandem.bench;

/** The {@code --name N} options the benchmarks take on their command line. */
final class BenchmarkArgs {
    private BenchmarkArgs() {}

    /** The integer after {@code name} in {@code args}, or {@code fallback} when it is not given. */
    static int option(String[] args, String name, int fallback) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return fallback;
    }

    /** The comma-separated integers after {@code name} ({@code --connections 1,16,64}), or {@code fallback}. */
    static int[] numbers(String[] args, String name, int... fallback) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return java.util.Arrays.stream(args[i + 1].split(","))
                        .mapToInt(Integer::parseInt)
                        .toArray();
            }
        }
        return fallback;
    }

    /** Whether the flag {@code name} is in {@code args}. */
    static boolean flag(String[] args, String name) {
        return java.util.Arrays.asList(args).contains(name);
    }
}
