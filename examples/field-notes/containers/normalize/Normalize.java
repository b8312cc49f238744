import java.util.Locale;

/**
 * Normalizing container: field notes as written in the field — island names in any case,
 * lengths in mm or cm, mass in g or kg, sex as M/F — in as CSV with a header
 * (island,bill_length,bill_depth,flipper_length,body_mass,sex); the penguins model's raw columns
 * out, as CSV with their header, in the units it was trained on.
 */
public final class Normalize {
  private static final String HEADER =
      "island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex,year";

  public static void main(String[] args) throws Exception {
    ContractServer.serve(
        "normalize",
        request -> {
          String type = request.contentType() == null ? "text/csv" : request.contentType();
          if (!type.startsWith("text/csv")) {
            throw new ContractServer.Refusal(415, "normalize reads text/csv field notes, got " + type);
          }
          String[] lines = request.text().split("\r?\n");
          StringBuilder out = new StringBuilder(HEADER).append('\n');
          for (int n = 1; n < lines.length; n++) { // line 0 is the notes' own header
            if (lines[n].isBlank()) {
              continue;
            }
            String[] cells = lines[n].split(",", -1);
            if (cells.length != 6) {
              throw new ContractServer.Refusal(
                  400, "note " + n + " has " + cells.length + " fields; expected 6 (island,bill_length,"
                      + "bill_depth,flipper_length,body_mass,sex)");
            }
            out.append(island(cells[0])).append(',')
                .append(measure(cells[1], "mm", n)).append(',')
                .append(measure(cells[2], "mm", n)).append(',')
                .append(measure(cells[3], "mm", n)).append(',')
                .append(measure(cells[4], "g", n)).append(',')
                .append(sex(cells[5])).append(",\n");
          }
          return ContractServer.Response.ok("text/csv", out.toString());
        });
  }

  private static String island(String text) {
    String name = text.strip().toLowerCase(Locale.ROOT);
    return name.isEmpty() ? "" : Character.toUpperCase(name.charAt(0)) + name.substring(1);
  }

  private static String sex(String text) {
    return switch (text.strip().toLowerCase(Locale.ROOT)) {
      case "m", "male" -> "male";
      case "f", "female" -> "female";
      default -> "";
    };
  }

  /** A measurement in the model's unit: "4.6 cm" → 46, "4.45 kg" → 4450; blank stays missing. */
  private static String measure(String text, String unit, int note) throws ContractServer.Refusal {
    String value = text.strip().toLowerCase(Locale.ROOT);
    if (value.isEmpty()) {
      return "";
    }
    double factor = 1;
    if (value.endsWith("cm")) {
      factor = 10;
    } else if (value.endsWith("kg")) {
      factor = 1000;
    }
    String number = value.replaceAll("[a-z ]+$", "");
    try {
      double converted = Double.parseDouble(number) * factor;
      return String.format(Locale.ROOT, "%.1f", converted);
    } catch (NumberFormatException e) {
      throw new ContractServer.Refusal(400, "note " + note + ": '" + text + "' is not a measurement in " + unit);
    }
  }
}
