package dev.tandem.server.api;

import dev.tandem.core.error.ValidationException;
import java.util.regex.Pattern;

/** The {@code EndpointName} of a runtime request, checked as SageMaker's service model says. */
final class EndpointNames {
    private static final Pattern PATTERN = Pattern.compile("[a-zA-Z0-9](-*[a-zA-Z0-9])*");

    private EndpointNames() {}

    /** @throws ValidationException in SageMaker's words when {@code name} is not a valid name */
    static void check(String name) {
        if (name.length() > 63 || !PATTERN.matcher(name).matches()) {
            throw new ValidationException(
                    "1 validation error detected: Value '" + name + "' at 'endpointName' failed to satisfy"
                            + " constraint: Member must satisfy regular expression pattern:"
                            + " ^[a-zA-Z0-9](-*[a-zA-Z0-9])* and have length less than or equal to 63");
        }
    }
}
