import java.util.Locale;

/**
 * Postprocessing container: class probabilities as CSV in, a label per row out — JSON by default
 * ({"predictions":[{"label":…,"score":…}]}), or CSV labels when asked for text/csv. The label
 * names come from its LABELS environment variable, in class order.
 */
public final class Postprocess {
  public static void main(String[] args) throws Exception {
    String[] labels = System.getenv().getOrDefault("LABELS", "0,1,2").split(",");
    ContractServer.serve(
        "postprocess",
        request -> {
          String type = request.contentType() == null ? "text/csv" : request.contentType();
          if (!type.startsWith("text/csv")) {
            throw new ContractServer.Refusal(415, "postprocess reads text/csv, got " + type);
          }
          String accept = ContractServer.accept(request, "application/json");
          boolean json = accept.startsWith("application/json");
          if (!json && !accept.startsWith("text/csv")) {
            throw new ContractServer.Refusal(406, "postprocess answers application/json or text/csv, not " + accept);
          }
          StringBuilder out = new StringBuilder(json ? "{\"predictions\":[" : "");
          int row = 0;
          for (String line : request.text().split("\r?\n")) {
            if (line.isBlank()) {
              continue;
            }
            String[] cells = line.split(",");
            if (cells.length != labels.length) {
              throw new ContractServer.Refusal(
                  400, "expected " + labels.length + " probabilities per row, got " + cells.length);
            }
            int best = 0;
            double bestScore = -1;
            for (int k = 0; k < cells.length; k++) {
              double p = Double.parseDouble(cells[k]);
              if (p > bestScore) {
                best = k;
                bestScore = p;
              }
            }
            if (json) {
              out.append(row == 0 ? "" : ",")
                  .append(String.format(Locale.ROOT, "{\"label\":\"%s\",\"score\":%.4f}", labels[best], bestScore));
            } else {
              out.append(labels[best]).append('\n');
            }
            row++;
          }
          String body = json ? out.append("]}").toString() : out.toString();
          return ContractServer.Response.ok(json ? "application/json" : "text/csv", body);
        });
  }
}
