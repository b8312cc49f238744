import java.util.Locale;

/**
 * Reporting container: one "label,score" CSV line per penguin in (what builtin:postprocess answers
 * when asked for text/csv), one sentence per penguin out, as text/plain.
 */
public final class Report {
  public static void main(String[] args) throws Exception {
    ContractServer.serve(
        "report",
        request -> {
          String type = request.contentType() == null ? "text/csv" : request.contentType();
          if (!type.startsWith("text/csv")) {
            throw new ContractServer.Refusal(415, "report reads text/csv, got " + type);
          }
          StringBuilder out = new StringBuilder();
          int n = 0;
          for (String line : request.text().split("\r?\n")) {
            if (line.isBlank()) {
              continue;
            }
            String[] cells = line.split(",");
            n++;
            double score = Double.parseDouble(cells[1]);
            String confidence = score >= 0.9 ? "surely" : score >= 0.6 ? "probably" : "perhaps";
            out.append(String.format(
                Locale.ROOT, "Penguin %d is %s a%s %s (%.1f%%).%n",
                n, confidence, cells[0].startsWith("A") ? "n" : "", cells[0], score * 100));
          }
          return ContractServer.Response.ok("text/plain", out.toString());
        });
  }
}
