package dev.tandem.kubernetes.resources;

import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A SageMaker Model, as CreateModel defined it. */
@Group(ResourceNames.GROUP)
@Version(ResourceNames.VERSION)
@Kind("SageMakerModel")
@Plural("sagemakermodels")
@ShortNames("smmodel")
public final class ModelResource extends CustomResource<Definition, Void> implements Namespaced {
    private static final long serialVersionUID = 1L;
}
