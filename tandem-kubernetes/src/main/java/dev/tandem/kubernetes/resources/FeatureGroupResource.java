package dev.tandem.kubernetes.resources;

import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A SageMaker FeatureGroup, as CreateFeatureGroup defined it. */
@Group(ResourceNames.GROUP)
@Version(ResourceNames.VERSION)
@Kind("SageMakerFeatureGroup")
@Plural("sagemakerfeaturegroups")
@ShortNames("smfeaturegroup")
public final class FeatureGroupResource extends CustomResource<Definition, Void> implements Namespaced {
    private static final long serialVersionUID = 1L;
}
