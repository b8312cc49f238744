package dev.tandem.cli;

import dev.tandem.kubernetes.Manifests;
import dev.tandem.kubernetes.operator.InstanceTypes;
import dev.tandem.kubernetes.operator.TandemOperator;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tandem kubernetes}: Tandem in a Kubernetes cluster — its manifests, and its operator. */
@Command(
        name = "kubernetes",
        mixinStandardHelpOptions = true,
        description = "Run Tandem's endpoints in a Kubernetes cluster.",
        subcommands = {KubernetesCommand.Render.class, KubernetesCommand.RunOperator.class})
final class KubernetesCommand {

    @Command(
            name = "render",
            mixinStandardHelpOptions = true,
            description = {
                "Print the manifests that install Tandem in a cluster: its custom resource definitions, a"
                        + " namespace, and the operator with the permissions it needs there.",
                "Apply them with `tandem kubernetes render --image IMAGE | kubectl apply -f -`."
            })
    static final class Render implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--image", required = true, description = "Tandem's image, for the operator and the instances.")
        String image;

        @Option(
                names = "--namespace",
                defaultValue = "tandem",
                description = "Where the operator runs and endpoints live (default: ${DEFAULT-VALUE}).")
        String namespace;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            out.print(Manifests.install(image, namespace));
            out.flush();
            return 0;
        }
    }

    @Command(
            name = "operator",
            mixinStandardHelpOptions = true,
            description = {
                "Run the operator: each SageMakerEndpoint of the namespace becomes a Deployment of instance"
                        + " pods per production variant, with a Service; its status follows theirs.",
                "Reaches the API server as kubectl does: inside a pod through its service account, outside"
                        + " through KUBECONFIG or ~/.kube/config. Any number may run: one leads, through a"
                        + " Lease, and another takes over when it stops."
            })
    static final class RunOperator implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(
                names = "--instance-image",
                required = true,
                description = "The image each instance pod runs: Tandem's.")
        String instanceImage;

        @Option(
                names = "--namespace",
                description = "The namespace to watch (default: $TANDEM_NAMESPACE, else the client"
                        + " configuration's, else default).")
        @Nullable
        String namespace;

        @Option(
                names = "--instance-types",
                paramLabel = "FILE",
                description = "What an instance's pod requests by SageMaker instance type, added to or in place"
                        + " of Tandem's sizes: JSON such as {\"ml.m5.large\": {\"cpu\": \"1500m\","
                        + " \"memory\": \"6Gi\"}} (\"gpus\": N for GPUs).")
        @Nullable
        Path instanceTypes;

        @Override
        public Integer call() throws InterruptedException {
            PrintWriter err = spec.commandLine().getErr();
            InstanceTypes types;
            try {
                types = instanceTypes == null
                        ? InstanceTypes.defaults()
                        : InstanceTypes.defaults().with(instanceTypes);
            } catch (IllegalArgumentException e) {
                err.println("error: " + e.getMessage());
                return 2;
            }
            KubernetesClient client = new KubernetesClientBuilder().build();
            String watched = namespace != null
                    ? namespace
                    : System.getenv()
                            .getOrDefault(
                                    "TANDEM_NAMESPACE",
                                    client.getNamespace() == null ? "default" : client.getNamespace());
            TandemOperator operator;
            try {
                operator = TandemOperator.start(client, watched, instanceImage, types);
            } catch (KubernetesClientException e) {
                err.println("error: cannot reach the Kubernetes API server at "
                        + client.getConfiguration().getMasterUrl() + ": " + e.getMessage());
                client.close();
                return 2;
            }
            UntilStopped stopped = new UntilStopped(operator, client);
            err.printf("Operator for the endpoints of namespace %s (instances run %s)%n", watched, instanceImage);
            err.flush();
            stopped.await();
            return 0;
        }
    }
}
