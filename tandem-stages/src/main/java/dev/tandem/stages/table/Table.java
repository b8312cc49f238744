package dev.tandem.stages.table;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Rows of cells as a request carries them, before any feature engineering: each cell a {@link
 * String}, a {@link Double} or {@code null} (missing).
 *
 * @param columns the column names when the body named them (a CSV header, JSON records); empty
 *     when the columns are known only by position
 * @param rows the rows, each as wide as the widest row may be; a short row is padded with nulls by
 *     {@link #cell}
 */
public record Table(List<String> columns, List<@Nullable Object[]> rows) {
    public Table {
        columns = List.copyOf(columns);
        rows = List.copyOf(rows);
    }

    public boolean named() {
        return !columns.isEmpty();
    }

    public @Nullable Object cell(int row, int column) {
        Object[] cells = rows.get(row);
        return column < cells.length ? cells[column] : null;
    }
}
