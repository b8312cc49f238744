package dev.tandem.server.api;

import dev.tandem.core.error.ValidationException;

/**
 * The {@code EndpointName} of a runtime request, checked as SageMaker's service model says: {@code
 * ^[a-zA-Z0-9](-*[a-zA-Z0-9])*}, at most 63 characters — letters, digits and hyphens, neither
 * first nor last a hyphen. Checked by hand on every invocation: a regular expression's matcher
 * allocated more than anything else Tandem does itself for a request.
 */
final class EndpointNames {
    private EndpointNames() {}

    /** @throws ValidationException in SageMaker's words when {@code name} is not a valid name */
    static void check(String name) {
        if (!valid(name)) {
            throw new ValidationException(
                    "1 validation error detected: Value '" + name + "' at 'endpointName' failed to satisfy"
                            + " constraint: Member must satisfy regular expression pattern:"
                            + " ^[a-zA-Z0-9](-*[a-zA-Z0-9])* and have length less than or equal to 63");
        }
    }

    private static boolean valid(String name) {
        int length = name.length();
        if (length == 0 || length > 63 || name.charAt(0) == '-' || name.charAt(length - 1) == '-') {
            return false;
        }
        for (int i = 0; i < length; i++) {
            char c = name.charAt(i);
            boolean allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
            if (!allowed) {
                return false;
            }
        }
        return true;
    }
}
