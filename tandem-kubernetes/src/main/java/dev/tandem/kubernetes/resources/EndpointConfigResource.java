package dev.tandem.kubernetes.resources;

import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A SageMaker EndpointConfig, as CreateEndpointConfig defined it. */
@Group(ResourceNames.GROUP)
@Version(ResourceNames.VERSION)
@Kind("SageMakerEndpointConfig")
@Plural("sagemakerendpointconfigs")
@ShortNames("smendpointconfig")
public final class EndpointConfigResource extends CustomResource<Definition, Void> implements Namespaced {
    private static final long serialVersionUID = 1L;
}
