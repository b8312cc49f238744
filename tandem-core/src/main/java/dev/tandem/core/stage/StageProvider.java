package dev.tandem.core.stage;

/**
 * Makes in-process stages available to pipelines as {@code "Image": "builtin:NAME"}.
 *
 * <p>Providers are found with {@link java.util.ServiceLoader}: list the implementation's class
 * name in {@code META-INF/services/dev.tandem.core.stage.StageProvider} of a jar on Tandem's class
 * path (or in its plugins folder). A provider must have a public no-argument constructor.
 */
public interface StageProvider {

    /** The name pipelines use after {@code builtin:}; lower-case letters, digits and dashes. */
    String name();

    /**
     * Creates the stage for one instance of a pipeline. Load models here, once, not per request.
     *
     * @throws Exception when the stage cannot be built (a missing or invalid model, a bad setting);
     *     the message should say what is wrong, it is shown to the user as the instance's failure
     */
    Stage create(StageContext context) throws Exception;
}
