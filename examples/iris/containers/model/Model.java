import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Model container: a multinomial logistic regression. Standardized features as CSV in, one row of
 * class probabilities per input row out — CSV by default, JSON when asked. Its weights are
 * weights.csv in its model folder, fitted by train/Train.java.
 */
public final class Model {
  public static void main(String[] args) throws Exception {
    List<double[]> classes = new ArrayList<>();
    for (String line : Files.readAllLines(ContractServer.modelDir().resolve("weights.csv"))) {
      if (line.isBlank() || line.startsWith("class")) {
        continue;
      }
      String[] cells = line.split(",");
      double[] row = new double[cells.length - 1];
      for (int i = 1; i < cells.length; i++) {
        row[i - 1] = Double.parseDouble(cells[i]);
      }
      classes.add(row);
    }
    int features = classes.get(0).length - 1;
    ContractServer.serve(
        "model",
        request -> {
          String type = request.contentType() == null ? "text/csv" : request.contentType();
          if (!type.startsWith("text/csv")) {
            throw new ContractServer.Refusal(415, "model reads text/csv, got " + type);
          }
          List<double[]> rows = new ArrayList<>();
          for (String line : request.text().split("\r?\n")) {
            if (line.isBlank()) {
              continue;
            }
            String[] cells = line.split(",");
            if (cells.length != features) {
              throw new ContractServer.Refusal(400, "expected " + features + " features, got " + cells.length);
            }
            double[] x = new double[features];
            for (int i = 0; i < features; i++) {
              x[i] = Double.parseDouble(cells[i]);
            }
            rows.add(softmax(classes, x));
          }
          String accept = ContractServer.accept(request, "text/csv");
          StringBuilder out = new StringBuilder();
          if (accept.startsWith("application/json")) {
            out.append("{\"probabilities\":[");
            for (int r = 0; r < rows.size(); r++) {
              out.append(r == 0 ? "[" : ",[").append(join(rows.get(r))).append(']');
            }
            return ContractServer.Response.ok("application/json", out.append("]}").toString());
          }
          if (!accept.startsWith("text/csv")) {
            throw new ContractServer.Refusal(406, "model answers text/csv or application/json, not " + accept);
          }
          rows.forEach(p -> out.append(join(p)).append('\n'));
          return ContractServer.Response.ok("text/csv", out.toString());
        });
  }

  static double[] softmax(List<double[]> classes, double[] x) {
    double[] scores = new double[classes.size()];
    double max = Double.NEGATIVE_INFINITY;
    for (int k = 0; k < scores.length; k++) {
      double[] w = classes.get(k);
      double s = w[0];
      for (int i = 0; i < x.length; i++) {
        s += w[i + 1] * x[i];
      }
      scores[k] = s;
      max = Math.max(max, s);
    }
    double sum = 0;
    for (int k = 0; k < scores.length; k++) {
      scores[k] = Math.exp(scores[k] - max);
      sum += scores[k];
    }
    for (int k = 0; k < scores.length; k++) {
      scores[k] /= sum;
    }
    return scores;
  }

  private static String join(double[] values) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < values.length; i++) {
      s.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.6f", values[i]));
    }
    return s.toString();
  }
}
