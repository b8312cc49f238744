package dev.tandem.cli;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** {@code --subscribe TOPIC_ARN=URL} options: HTTP subscribers by SNS topic. */
final class Subscriptions {
    private static final Pattern TOPIC = Pattern.compile("arn:aws[a-z\\-]*:sns:[a-z0-9\\-]*:[0-9]{12}:[a-zA-Z0-9_.-]+");

    private Subscriptions() {}

    /**
     * @throws IllegalArgumentException naming the option that is not {@code TOPIC_ARN=http(s)://...}
     */
    static Map<String, List<URI>> parse(List<String> options) {
        Map<String, List<URI>> subscribers = new LinkedHashMap<>();
        for (String option : options) {
            int split = option.indexOf("=");
            String topic = split < 0 ? option : option.substring(0, split);
            if (split < 0 || !TOPIC.matcher(topic).matches()) {
                throw new IllegalArgumentException(
                        "--subscribe " + option
                                + ": expected TOPIC_ARN=URL, e.g. arn:aws:sns:us-east-1:000000000000:results=http://127.0.0.1:9000/sns");
            }
            URI url;
            try {
                url = URI.create(option.substring(split + 1));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--subscribe " + option + ": " + e.getMessage(), e);
            }
            if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme())) {
                throw new IllegalArgumentException("--subscribe " + option + ": the URL must be http:// or https://");
            }
            subscribers.computeIfAbsent(topic, t -> new ArrayList<>()).add(url);
        }
        return subscribers;
    }
}
