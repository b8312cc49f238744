package dev.tandem.core.engine;

import dev.tandem.core.stage.Payload;
import dev.tandem.core.stage.StageResponse;
import java.util.Objects;
import java.util.concurrent.Flow;
import org.jspecify.annotations.Nullable;

/**
 * A stage's answer as it streams: its head, known before the first part, and its parts, delivered
 * at the pace their subscriber requests them. Whoever gets one either subscribes to {@code parts}
 * or {@linkplain #discard() discards} it, so that the stage behind it stops.
 */
public record StreamedResponse(
        @Nullable String contentType, @Nullable String customAttributes, Flow.Publisher<Payload> parts) {

    public StreamedResponse {
        Objects.requireNonNull(parts, "parts");
    }

    /** A whole answer as a stream of one part. */
    public static StreamedResponse whole(StageResponse response) {
        return new StreamedResponse(response.contentType(), response.customAttributes(), Parts.of(response.body()));
    }

    /** The same stream with its failures named after the stage {@code hostname}. */
    StreamedResponse from(String hostname) {
        return new StreamedResponse(contentType, customAttributes, Parts.named(hostname, parts));
    }

    /** Tells the stage behind the stream that nobody will read it. */
    public void discard() {
        parts.subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                subscription.cancel();
            }

            @Override
            public void onNext(Payload item) {}

            @Override
            public void onError(Throwable throwable) {}

            @Override
            public void onComplete() {}
        });
    }
}
