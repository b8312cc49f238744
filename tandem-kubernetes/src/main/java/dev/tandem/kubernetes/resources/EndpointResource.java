package dev.tandem.kubernetes.resources;

import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A SageMaker Endpoint: its spec is what it should run, written by the control plane; its status
 * is what runs, written by whoever brings it about.
 */
@Group(ResourceNames.GROUP)
@Version(ResourceNames.VERSION)
@Kind("SageMakerEndpoint")
@Plural("sagemakerendpoints")
@ShortNames("smendpoint")
public final class EndpointResource extends CustomResource<EndpointSpec, Lifecycle> implements Namespaced {
    private static final long serialVersionUID = 1L;
}
