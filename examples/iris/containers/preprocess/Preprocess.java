import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Preprocessing container: raw iris measurements as CSV rows (sepal length, sepal width, petal
 * length, petal width; a header line is skipped) in, standardized features as CSV out. The means
 * and standard deviations come from scaler.csv in its model folder, fitted by train/Train.java.
 */
public final class Preprocess {
  public static void main(String[] args) throws Exception {
    List<double[]> scaler = new ArrayList<>();
    for (String line : Files.readAllLines(ContractServer.modelDir().resolve("scaler.csv"))) {
      if (line.isBlank() || line.startsWith("feature")) {
        continue;
      }
      String[] cells = line.split(",");
      scaler.add(new double[] {Double.parseDouble(cells[1]), Double.parseDouble(cells[2])});
    }
    int features = scaler.size();
    ContractServer.serve(
        "preprocess",
        request -> {
          String type = request.contentType() == null ? "text/csv" : request.contentType();
          if (!type.startsWith("text/csv")) {
            throw new ContractServer.Refusal(415, "preprocess reads text/csv, got " + type);
          }
          StringBuilder out = new StringBuilder();
          String[] lines = request.text().split("\r?\n");
          for (int row = 0; row < lines.length; row++) {
            String line = lines[row].strip();
            if (line.isEmpty() || row == 0 && !Character.isDigit(line.charAt(0)) && line.charAt(0) != '-' && line.charAt(0) != '.') {
              continue;
            }
            String[] cells = line.split(",");
            if (cells.length != features) {
              throw new ContractServer.Refusal(
                  400, "row " + (row + 1) + " has " + cells.length + " columns; expected " + features
                      + " (sepal length, sepal width, petal length, petal width)");
            }
            for (int i = 0; i < features; i++) {
              double value;
              try {
                value = Double.parseDouble(cells[i].strip());
              } catch (NumberFormatException e) {
                throw new ContractServer.Refusal(
                    400, "row " + (row + 1) + " column " + (i + 1) + ": '" + cells[i] + "' is not a number");
              }
              double[] meanStd = scaler.get(i);
              out.append(i == 0 ? "" : ",")
                  .append(String.format(Locale.ROOT, "%.6f", (value - meanStd[0]) / meanStd[1]));
            }
            out.append('\n');
          }
          if (out.isEmpty()) {
            throw new ContractServer.Refusal(400, "no rows to score");
          }
          return ContractServer.Response.ok("text/csv", out.toString());
        });
  }
}
