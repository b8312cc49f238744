import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Fits the iris example's model from data/iris.csv and writes it into the model folders:
 * model/scaler/scaler.csv (per-feature mean and standard deviation) and
 * model/classifier/weights.csv (a multinomial logistic regression: bias and one weight per feature
 * for each class), trained by full-batch gradient descent with a little L2 regularisation.
 *
 * <p>Run from examples/iris: {@code java train/Train.java}. Deterministic: same data, same model.
 */
public final class Train {
  public static void main(String[] args) throws Exception {
    List<String> lines = Files.readAllLines(Path.of("data/iris.csv"));
    String[] header = lines.get(0).split(",");
    int features = header.length - 1;
    List<double[]> xs = new ArrayList<>();
    List<Integer> ys = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] cells = line.split(",");
      double[] x = new double[features];
      for (int i = 0; i < features; i++) {
        x[i] = Double.parseDouble(cells[i]);
      }
      xs.add(x);
      ys.add(Integer.parseInt(cells[features].strip()));
    }
    int n = xs.size();
    int classes = ys.stream().mapToInt(Integer::intValue).max().orElseThrow() + 1;

    double[] mean = new double[features];
    double[] std = new double[features];
    for (double[] x : xs) {
      for (int i = 0; i < features; i++) {
        mean[i] += x[i] / n;
      }
    }
    for (double[] x : xs) {
      for (int i = 0; i < features; i++) {
        std[i] += (x[i] - mean[i]) * (x[i] - mean[i]) / n;
      }
    }
    for (int i = 0; i < features; i++) {
      std[i] = Math.sqrt(std[i]);
    }
    List<double[]> scaled = new ArrayList<>();
    for (double[] x : xs) {
      double[] z = new double[features];
      for (int i = 0; i < features; i++) {
        z[i] = (x[i] - mean[i]) / std[i];
      }
      scaled.add(z);
    }

    double[][] w = new double[classes][features + 1];
    double rate = 0.5;
    double l2 = 1e-3;
    for (int epoch = 0; epoch < 2000; epoch++) {
      double[][] gradient = new double[classes][features + 1];
      for (int r = 0; r < n; r++) {
        double[] p = probabilities(w, scaled.get(r));
        for (int k = 0; k < classes; k++) {
          double error = p[k] - (ys.get(r) == k ? 1 : 0);
          gradient[k][0] += error / n;
          for (int i = 0; i < features; i++) {
            gradient[k][i + 1] += error * scaled.get(r)[i] / n;
          }
        }
      }
      for (int k = 0; k < classes; k++) {
        for (int j = 0; j <= features; j++) {
          w[k][j] -= rate * (gradient[k][j] + (j == 0 ? 0 : l2 * w[k][j]));
        }
      }
    }
    int correct = 0;
    for (int r = 0; r < n; r++) {
      double[] p = probabilities(w, scaled.get(r));
      int best = 0;
      for (int k = 1; k < classes; k++) {
        best = p[k] > p[best] ? k : best;
      }
      correct += best == ys.get(r) ? 1 : 0;
    }

    StringBuilder scaler = new StringBuilder("feature,mean,std\n");
    for (int i = 0; i < features; i++) {
      scaler.append(String.format(Locale.ROOT, "%s,%.8f,%.8f%n", header[i], mean[i], std[i]));
    }
    StringBuilder weights = new StringBuilder("class,bias");
    for (int i = 0; i < features; i++) {
      weights.append(",w").append(i + 1);
    }
    weights.append('\n');
    for (int k = 0; k < classes; k++) {
      weights.append(k);
      for (double v : w[k]) {
        weights.append(String.format(Locale.ROOT, ",%.8f", v));
      }
      weights.append('\n');
    }
    Files.writeString(Path.of("model/scaler/scaler.csv"), scaler);
    Files.writeString(Path.of("model/classifier/weights.csv"), weights);
    System.out.printf(Locale.ROOT, "trained on %d rows: training accuracy %.3f%n", n, (double) correct / n);
  }

  static double[] probabilities(double[][] w, double[] x) {
    double[] s = new double[w.length];
    double max = Double.NEGATIVE_INFINITY;
    for (int k = 0; k < w.length; k++) {
      s[k] = w[k][0];
      for (int i = 0; i < x.length; i++) {
        s[k] += w[k][i + 1] * x[i];
      }
      max = Math.max(max, s[k]);
    }
    double sum = 0;
    for (int k = 0; k < w.length; k++) {
      s[k] = Math.exp(s[k] - max);
      sum += s[k];
    }
    for (int k = 0; k < w.length; k++) {
      s[k] /= sum;
    }
    return s;
  }
}
