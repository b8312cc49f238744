package dev.tandem.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.FastThreadLocal;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The floor under the hop benchmark: the least a reverse proxy written in Java on Netty does for a
 * request — a keep-alive HTTP/1.1 proxy to one upstream, on the same transport and with as many
 * event loops as Tandem (io_uring where the kernel allows it, one loop a core), Netty's HTTP codec
 * on both sides, each loop keeping its own upstream connections. Nothing else: no routing, no
 * limits, no timeouts, no metrics, no validation beyond the codec's. What a Tandem hop costs above
 * this is Tandem's (and Vert.x's); what this costs above nginx is the JVM's and Netty's.
 *
 * <p>Not a server for anything but measuring: {@code NettyProxy PORT UPSTREAM_PORT} forwards every
 * request to {@code 127.0.0.1:UPSTREAM_PORT/invocations}.
 */
// Its writes go out with void promises (nothing to report back to, as in any minimal proxy): a failed
// write reaches exceptionCaught, which closes the connection (and a client's, if it was waiting on
// it), and wrk counts the error.
@SuppressWarnings("FutureReturnValueIgnored")
public final class NettyProxy {
    private static final int MAX_BODY = 16 * 1024 * 1024;

    /** Each event loop's idle upstream connections; a request takes one, its answer returns it. */
    private static final FastThreadLocal<ArrayDeque<Channel>> IDLE = new FastThreadLocal<>() {
        @Override
        protected ArrayDeque<Channel> initialValue() {
            return new ArrayDeque<>();
        }
    };

    private NettyProxy() {}

    /** The proxy running in a JVM of its own; closing it stops that JVM. */
    record Running(Process process) implements AutoCloseable {
        @Override
        public void close() {
            ChildProcesses.stop(process, Duration.ofSeconds(10));
        }
    }

    /**
     * Starts the proxy in a JVM of its own (this JVM's {@code java} and class path), and returns once
     * it listens on {@code port}.
     */
    static Running launch(int port, int upstreamPort, Path log) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(
                        ProcessHandle.current().info().command().orElse("java"),
                        "--enable-native-access=ALL-UNNAMED",
                        "-cp",
                        System.getProperty("java.class.path"),
                        NettyProxy.class.getName(),
                        Integer.toString(port),
                        Integer.toString(upstreamPort))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        Running running = new Running(process);
        try {
            ChildProcesses.awaitListening(process, port, Duration.ofSeconds(30), "the Netty proxy", log);
        } catch (IOException | InterruptedException | RuntimeException e) {
            running.close();
            throw e;
        }
        return running;
    }

    /** The transport's three parts, chosen as Tandem's {@code --io-transport auto} chooses. */
    private record Transport(
            String name,
            IoHandlerFactory handlers,
            Class<? extends ServerChannel> server,
            Class<? extends SocketChannel> client) {
        static Transport best() {
            if (IoUring.isAvailable()) {
                return new Transport(
                        "io_uring",
                        IoUringIoHandler.newFactory(),
                        IoUringServerSocketChannel.class,
                        IoUringSocketChannel.class);
            }
            if (Epoll.isAvailable()) {
                return new Transport(
                        "epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class, EpollSocketChannel.class);
            }
            return new Transport(
                    "nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, NioSocketChannel.class);
        }
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 2) {
            throw new IllegalArgumentException("usage: NettyProxy PORT UPSTREAM_PORT");
        }
        int port = Integer.parseInt(args[0]);
        int upstreamPort = Integer.parseInt(args[1]);
        Transport transport = Transport.best();
        EventLoopGroup loops =
                new MultiThreadIoEventLoopGroup(Runtime.getRuntime().availableProcessors(), transport.handlers());
        Bootstrap upstream = new Bootstrap()
                .channel(transport.client())
                .option(ChannelOption.TCP_NODELAY, true)
                .remoteAddress("127.0.0.1", upstreamPort)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline()
                                .addLast(new HttpClientCodec(), new HttpObjectAggregator(MAX_BODY), new Back());
                    }
                });
        new ServerBootstrap()
                .group(loops)
                .channel(transport.server())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline()
                                .addLast(
                                        new HttpServerCodec(), new HttpObjectAggregator(MAX_BODY), new Front(upstream));
                    }
                })
                .bind("127.0.0.1", port)
                .sync();
        System.out.printf(
                Locale.ROOT, "Netty proxy on port %d (%s) to port %d%n", port, transport.name(), upstreamPort);
        Thread.currentThread().join();
    }

    /** A client's connection: each request goes out on one of its loop's upstream connections. */
    private static final class Front extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final Bootstrap upstream;

        Front(Bootstrap upstream) {
            this.upstream = upstream;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext context, FullHttpRequest request) {
            FullHttpRequest forwarded = new DefaultFullHttpRequest(
                    HttpVersion.HTTP_1_1,
                    request.method(),
                    "/invocations",
                    request.content().retain());
            forwarded
                    .headers()
                    .set(HttpHeaderNames.HOST, "127.0.0.1")
                    .set(
                            HttpHeaderNames.CONTENT_TYPE,
                            request.headers().get(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream"))
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, forwarded.content().readableBytes());
            Channel client = context.channel();
            Channel idle = IDLE.get().poll();
            if (idle != null && idle.isActive()) {
                send(idle, forwarded, client);
                return;
            }
            upstream.clone(client.eventLoop()).connect().addListener((ChannelFutureListener) connected -> {
                if (connected.isSuccess()) {
                    send(connected.channel(), forwarded, client);
                } else {
                    forwarded.release();
                    client.close();
                }
            });
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
            context.close();
        }
    }

    private static void send(Channel upstream, FullHttpRequest request, Channel client) {
        upstream.pipeline().get(Back.class).client = client;
        upstream.writeAndFlush(request, upstream.voidPromise());
    }

    /** An upstream connection: passes its answer back to the client that is waiting for it. */
    private static final class Back extends SimpleChannelInboundHandler<FullHttpResponse> {
        private @Nullable Channel client;

        @Override
        protected void channelRead0(ChannelHandlerContext context, FullHttpResponse answer) {
            Channel waiting = client;
            client = null;
            IDLE.get().push(context.channel());
            if (waiting == null) {
                return;
            }
            FullHttpResponse response = new DefaultFullHttpResponse(
                    HttpVersion.HTTP_1_1, answer.status(), answer.content().retain());
            response.headers()
                    .set(
                            HttpHeaderNames.CONTENT_TYPE,
                            answer.headers().get(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream"))
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
            waiting.writeAndFlush(response, waiting.voidPromise());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
            context.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext context) {
            IDLE.get().remove(context.channel());
            if (client != null) {
                client.close();
            }
        }
    }
}
