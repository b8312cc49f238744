package dev.tandem.core.engine;

import dev.tandem.core.error.ModelErrorException;
import dev.tandem.core.error.TandemException;
import dev.tandem.core.error.ValidationException;
import dev.tandem.core.model.ExecutionMode;
import dev.tandem.core.stage.StageException;
import dev.tandem.core.stage.StageRequest;
import dev.tandem.core.stage.StageResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Runs one invocation through the stages of one instance — the data-flow rules of DESIGN §3.
 *
 * <p>Serial: stage 1 gets the client's body and {@code Content-Type}; stage N+1 gets stage N's
 * body with stage N's response {@code Content-Type}; only the last stage gets the client's {@code
 * Accept}, so intermediate stages answer in their own default format; custom attributes go to
 * every stage and the last stage's come back. The first failing stage stops the chain with a
 * {@link ModelErrorException} naming it.
 *
 * <p>Direct: only the stage the request names runs.
 *
 * <p>The engine knows nothing of HTTP or processes; it is stateless and thread-safe.
 */
public final class PipelineEngine {
  /** How much of a failing stage's answer goes into {@code OriginalMessage}. */
  static final int ORIGINAL_MESSAGE_CHARS = 4096;
  /** How much of it goes into the one-line message. */
  static final int MESSAGE_PREVIEW_CHARS = 512;

  private final long maxPayloadBytes;

  /**
   * @param maxPayloadBytes the largest payload one stage may hand to the next
   */
  public PipelineEngine(long maxPayloadBytes) {
    if (maxPayloadBytes <= 0) {
      throw new IllegalArgumentException("maxPayloadBytes must be positive, was " + maxPayloadBytes);
    }
    this.maxPayloadBytes = maxPayloadBytes;
  }

  /**
   * Runs {@code request} through {@code stages}.
   *
   * @param targetContainer the {@code X-Amzn-SageMaker-Target-Container-Hostname} of the request,
   *     required in Direct mode and refused in Serial mode
   * @throws ValidationException when the target container rule is broken
   * @throws ModelErrorException when a stage fails
   */
  public InvocationResult invoke(
      ExecutionMode mode,
      List<PipelineStage> stages,
      StageRequest request,
      @Nullable String targetContainer) {
    return switch (mode) {
      case SERIAL -> {
        if (targetContainer != null) {
          throw new ValidationException(
              "The request names target container '" + targetContainer
                  + "', but the model runs its containers in Serial mode; only Direct mode"
                  + " endpoints take X-Amzn-SageMaker-Target-Container-Hostname.");
        }
        yield serial(stages, request);
      }
      case DIRECT -> direct(stages, request, targetContainer);
    };
  }

  private InvocationResult serial(List<PipelineStage> stages, StageRequest request) {
    List<StageTiming> timings = new ArrayList<>(stages.size());
    int last = stages.size() - 1;
    StageRequest next =
        new StageRequest(
            request.body(),
            request.contentType(),
            last == 0 ? request.accept() : null,
            request.customAttributes());
    StageResponse response = null;
    for (int i = 0; i <= last; i++) {
      PipelineStage stage = stages.get(i);
      response = run(stage, next, timings);
      if (i < last) {
        PipelineStage following = stages.get(i + 1);
        if (response.body().size() > maxPayloadBytes) {
          throw payloadTooLarge(stage, following, response.body().size());
        }
        next =
            new StageRequest(
                response.body(),
                response.contentType(),
                i + 1 == last ? request.accept() : null,
                request.customAttributes());
      }
    }
    return new InvocationResult(response, timings);
  }

  private InvocationResult direct(
      List<PipelineStage> stages, StageRequest request, @Nullable String targetContainer) {
    if (targetContainer == null) {
      throw new ValidationException(
          "The model runs in Direct mode: name the container to invoke with"
              + " X-Amzn-SageMaker-Target-Container-Hostname (one of " + hostnames(stages) + ").");
    }
    for (PipelineStage stage : stages) {
      if (stage.hostname().equals(targetContainer)) {
        List<StageTiming> timings = new ArrayList<>(1);
        StageResponse response = run(stage, request, timings);
        return new InvocationResult(response, timings);
      }
    }
    throw new ValidationException(
        "Target container hostname '" + targetContainer + "' is not a container of this model ("
            + hostnames(stages) + ").");
  }

  private static StageResponse run(
      PipelineStage stage, StageRequest request, List<StageTiming> timings) {
    long start = System.nanoTime();
    try {
      return stage.stage().invoke(request);
    } catch (StageException e) {
      throw errorStatus(stage, e.status(), String.valueOf(e.getMessage()), e);
    } catch (StageTimeoutException e) {
      throw new ModelErrorException(
          stage.hostname(),
          null,
          null,
          "Your invocation timed out while waiting for a response from container "
              + stage.hostname() + " (no answer within " + e.timeout().toSeconds()
              + " seconds). Review the latency of each container, resolve the issue, and try"
              + " again.",
          e);
    } catch (StageUnreachableException e) {
      throw new ModelErrorException(
          stage.hostname(),
          null,
          null,
          "Could not reach container " + stage.hostname() + ": " + e.getMessage() + ".",
          e);
    } catch (TandemException e) {
      throw e;
    } catch (RuntimeException e) {
      // A stage that fails without saying how is a server error of that stage, as a crashing
      // container would be.
      String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      throw errorStatus(stage, 500, message, e);
    } finally {
      timings.add(new StageTiming(stage.hostname(), System.nanoTime() - start));
    }
  }

  private static ModelErrorException errorStatus(
      PipelineStage stage, int status, String body, Throwable cause) {
    String kind = status < 500 ? "client" : "server";
    String preview = truncate(body, MESSAGE_PREVIEW_CHARS);
    return new ModelErrorException(
        stage.hostname(),
        status,
        truncate(body, ORIGINAL_MESSAGE_CHARS),
        "Received " + kind + " error (" + status + ") from " + stage.hostname()
            + " with message \"" + preview + "\". See the container's log for more information.",
        cause);
  }

  private ModelErrorException payloadTooLarge(PipelineStage from, PipelineStage to, int size) {
    return new ModelErrorException(
        from.hostname(),
        200,
        null,
        "Received response from " + from.hostname() + " with status code 200. However, the"
            + " request payload from " + from.hostname() + " to " + to.hostname() + " is " + size
            + " bytes, which has exceeded the maximum limit of " + maxPayloadBytes + " bytes.",
        null);
  }

  private static String truncate(String text, int maxChars) {
    return text.length() <= maxChars ? text : text.substring(0, maxChars) + "…";
  }

  private static String hostnames(List<PipelineStage> stages) {
    return stages.stream().map(PipelineStage::hostname).collect(Collectors.joining(", "));
  }
}
