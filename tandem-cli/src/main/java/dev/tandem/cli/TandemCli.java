package dev.tandem.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./tandem}: the entry point of every command. */
@Command(
        name = "tandem",
        mixinStandardHelpOptions = true,
        versionProvider = TandemCli.Version.class,
        description = "Inference pipelines behind SageMaker's APIs, on any machine.",
        subcommands = {
            ServeCommand.class,
            InstanceCommand.class,
            KubernetesCommand.class,
            ModelDataCommand.class,
            InvokeCommand.class,
            InvokeAsyncCommand.class,
            EndpointsCommand.class,
            LogsCommand.class,
            TransformCommand.class,
            CheckContainerCommand.class,
            FeaturesCommand.class,
            CommandLine.HelpCommand.class
        })
public final class TandemCli {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new TandemCli())
                .registerConverter(java.time.Duration.class, Units::duration)
                .setExecutionExceptionHandler((error, command, parsed) -> {
                    command.getErr().println(command.getColorScheme().errorText("error: " + error.getMessage()));
                    return 1;
                });
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = TandemCli.class.getPackage().getImplementationVersion();
            return new String[] {"tandem " + (version == null ? "development build" : version)};
        }
    }
}
