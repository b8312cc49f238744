package dev.tandem.it.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A contract container that misbehaves on demand, for the fault-injection tests: an HTTP/1.1
 * server on a raw socket (so that it can break the protocol), run as a real child process. Each
 * invocation's body names what it does; anything else is echoed back.
 *
 * <ul>
 *   <li>{@code crash}: starts a 100-byte answer, sends 10 bytes and kills its own process.
 *   <li>{@code hang}: never sends a byte.
 *   <li>{@code trickle}: sends a 1,000-byte answer one byte every 200 ms.
 *   <li>{@code malformed}: answers bytes that are not HTTP.
 *   <li>{@code close}: closes the connection without answering.
 *   <li>{@code short}: says {@code Content-Length: 100}, sends 10 bytes and closes.
 *   <li>{@code surplus}: answers its 7-byte body, then 20 bytes more than its {@code
 *       Content-Length} said, in the same write, and keeps the connection open.
 *   <li>{@code late-surplus}: the same, with the surplus sent 50 ms after the answer.
 *   <li>{@code huge}: answers {@code HUGE_BYTES} (7,000,000) bytes.
 *   <li>{@code deaf-ping}: answers, and from then on never answers {@code /ping} (while still
 *       answering invocations).
 *   <li>{@code unlisten}: answers, then stops listening and closes every connection, as a server
 *       that shuts down does — but its process lives on, so that only health checks can tell.
 *   <li>{@code blink}: the same, and listens again on the same port {@code BLINK_MS} (300) ms later,
 *       as a server whose listener restarts does.
 * </ul>
 */
public final class FaultyContainer {
    private static volatile boolean pingDeaf;
    /** The listening socket; null once it stopped listening. */
    private static volatile ServerSocket listening;
    /** How long it stays deaf once it stopped listening on purpose. */
    private static volatile long silentMillis = Long.MAX_VALUE;

    private static final Set<Socket> CONNECTIONS = ConcurrentHashMap.newKeySet();

    private FaultyContainer() {}

    public static void main(String[] args) throws IOException, InterruptedException {
        int port = Integer.parseInt(System.getenv().getOrDefault("SAGEMAKER_BIND_TO_PORT", "8080"));
        System.out.println("faulty container on port " + port);
        while (true) {
            try (ServerSocket server = new ServerSocket(port, 256, InetAddress.getLoopbackAddress())) {
                listening = server;
                while (true) {
                    Socket socket = server.accept();
                    CONNECTIONS.add(socket);
                    Thread.ofVirtual().start(() -> serve(socket));
                }
            } catch (SocketException e) {
                if (listening != null) {
                    throw e;
                }
                // It stopped listening on purpose: the process lives on, for good or for a moment.
                Thread.sleep(silentMillis);
            }
        }
    }

    private static void serve(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            while (true) {
                Request request = Request.read(in);
                if (request == null) {
                    return;
                }
                if (request.path().startsWith("/ping")) {
                    if (pingDeaf) {
                        Thread.sleep(Long.MAX_VALUE);
                    }
                    answer(out, "", 0);
                    continue;
                }
                String fault = new String(request.body(), StandardCharsets.UTF_8).trim();
                System.out.println("invocation: " + fault);
                switch (fault) {
                    case "crash" -> {
                        out.write(head(100));
                        out.write(new byte[10]);
                        out.flush();
                        Runtime.getRuntime().halt(3);
                    }
                    case "hang" -> Thread.sleep(Long.MAX_VALUE);
                    case "trickle" -> {
                        out.write(head(1000));
                        for (int i = 0; i < 1000; i++) {
                            out.write('x');
                            out.flush();
                            Thread.sleep(200);
                        }
                    }
                    case "malformed" -> {
                        out.write("HELLO THERE, THIS IS NOT HTTP\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                    }
                    case "close" -> {
                        return;
                    }
                    case "short" -> {
                        out.write(head(100));
                        out.write(new byte[10]);
                        out.flush();
                        return;
                    }
                    case "surplus", "late-surplus" -> {
                        byte[] surplus = "-AND-20-BYTES-MORE!!".getBytes(StandardCharsets.US_ASCII);
                        out.write(head(fault.length()));
                        out.write(fault.getBytes(StandardCharsets.US_ASCII));
                        if (fault.startsWith("late")) {
                            out.flush();
                            Thread.sleep(50);
                        }
                        out.write(surplus);
                        out.flush();
                    }
                    case "huge" -> {
                        int size = Integer.parseInt(System.getenv().getOrDefault("HUGE_BYTES", "7000000"));
                        out.write(head(size));
                        out.write(new byte[size]);
                        out.flush();
                    }
                    case "deaf-ping" -> {
                        pingDeaf = true;
                        answer(out, fault, fault.length());
                    }
                    case "unlisten", "blink" -> {
                        answer(out, fault, fault.length());
                        if (fault.equals("blink")) {
                            silentMillis = Long.parseLong(System.getenv().getOrDefault("BLINK_MS", "300"));
                        }
                        unlisten();
                        return;
                    }
                    default -> answer(out, fault, fault.length());
                }
            }
        } catch (IOException e) {
            // The other side went away.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            CONNECTIONS.remove(socket);
        }
    }

    /** Closes the listening socket and every connection; new connections are refused from now on. */
    private static void unlisten() throws IOException {
        ServerSocket server = listening;
        listening = null;
        if (server != null) {
            server.close();
        }
        for (Socket connection : CONNECTIONS) {
            connection.close();
        }
    }

    private static void answer(OutputStream out, String body, int length) throws IOException {
        out.write(head(length));
        out.write(body.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static byte[] head(long contentLength) {
        return ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + contentLength + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** A request's path and body; null when the connection closed before one began. */
    private record Request(String path, byte[] body) {
        static Request read(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int matched = 0;
            while (matched < 4) {
                int b = in.read();
                if (b < 0) {
                    return null;
                }
                head.write(b);
                matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
            }
            String[] lines = head.toString(StandardCharsets.US_ASCII).split("\r\n");
            String path = lines[0].split(" ")[1];
            int length = 0;
            for (String line : lines) {
                if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            return new Request(path, in.readNBytes(length));
        }
    }
}
