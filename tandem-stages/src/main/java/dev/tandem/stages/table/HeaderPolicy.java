package dev.tandem.stages.table;

/** Decides, from the first line of a CSV body, whether it names the columns. */
@FunctionalInterface
public interface HeaderPolicy {
    boolean isHeader(String[] firstLine);

    static HeaderPolicy never() {
        return line -> false;
    }

    static HeaderPolicy always() {
        return line -> true;
    }
}
