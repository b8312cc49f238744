package dev.tandem.kubernetes.resources;

import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A SageMaker TransformJob: its definition, and its progress as status. */
@Group(ResourceNames.GROUP)
@Version(ResourceNames.VERSION)
@Kind("SageMakerTransformJob")
@Plural("sagemakertransformjobs")
@ShortNames("smtransformjob")
public final class TransformJobResource extends CustomResource<Definition, Lifecycle> implements Namespaced {
    private static final long serialVersionUID = 1L;
}
