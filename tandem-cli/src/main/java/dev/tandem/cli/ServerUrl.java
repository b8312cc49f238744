package dev.tandem.cli;

import java.net.URI;
import picocli.CommandLine.Option;

/** The {@code --url} of the server a client command talks to; a picocli mixin. */
final class ServerUrl {

    @Option(
            names = "--url",
            defaultValue = "${env:TANDEM_URL:-http://localhost:8080}",
            description = "The server (default: $TANDEM_URL, else ${DEFAULT-VALUE}).")
    URI url;
}
