// A TCP proxy between the processes and the broker that a test can black-hole: while it is, the
// proxy forwards nothing in either direction and closes nothing, as a dead link or a silent
// firewall would. New connections are accepted and hang the same way.
import { createServer, type Server, type Socket, connect } from 'node:net';

export class TcpProxy {
  private blackHoled = false;
  private readonly sockets = new Set<Socket>();
  /** Connections accepted so far (a reconnect shows up as one more). */
  accepted = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Listens on a free loopback port and forwards to `targetPort` on 127.0.0.1. */
  static async start(targetPort: number): Promise<TcpProxy> {
    const created: { proxy?: TcpProxy } = {};
    const server = createServer((client) => created.proxy!.accept(client, targetPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (typeof address !== 'object' || !address) throw new Error('proxy has no port');
    created.proxy = new TcpProxy(server, address.port);
    return created.proxy;
  }

  /** The URL to give the processes instead of the broker's. */
  url(user = 'guest', password = 'guest'): string {
    return `amqp://${user}:${password}@127.0.0.1:${this.port}`;
  }

  private accept(client: Socket, targetPort: number): void {
    this.accepted += 1;
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    const forward = (from: Socket, to: Socket) =>
      from.on('data', (chunk) => {
        // Black-holed: the bytes vanish; neither side learns anything from the proxy.
        if (!this.blackHoled && !to.destroyed) to.write(chunk);
      });
    forward(client, upstream);
    forward(upstream, client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  /** Stops forwarding, without closing anything. */
  blackHole(): void {
    this.blackHoled = true;
  }

  /** Forwards again (connections that timed out meanwhile stay closed). */
  restore(): void {
    this.blackHoled = false;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
