// A raw MQTT client over a socket (mqtt-packet), for what client libraries do not let a test do: stop in
// the middle of a QoS 2 handshake, send a PUBLISH again with its packet id, look at every packet's fields.
import net from 'node:net';
import mqttPacket from 'mqtt-packet';

type Packet = mqttPacket.Packet;

export class RawMqtt {
  private readonly got: Packet[] = [];
  private waiters: { cmd: string; resolve: (p: Packet) => void }[] = [];
  closed = false;
  private readonly closedP: Promise<void>;

  private constructor(
    private readonly sock: net.Socket,
    readonly version: 4 | 5,
  ) {
    const parser = mqttPacket.parser({ protocolVersion: version });
    parser.on('packet', (p: Packet) => {
      const i = this.waiters.findIndex((w) => w.cmd === p.cmd);
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(p);
      else this.got.push(p);
    });
    sock.on('data', (d) => parser.parse(d));
    sock.on('error', () => {});
    this.closedP = new Promise((r) =>
      sock.on('close', () => {
        this.closed = true;
        r();
      }),
    );
  }

  /** Connect and wait for the CONNACK. */
  static async connect(
    port: number,
    clientId: string,
    o: {
      version?: 4 | 5;
      clean?: boolean;
      properties?: mqttPacket.IConnectPacket['properties'];
      will?: mqttPacket.IConnectPacket['will'];
    } = {},
  ): Promise<{ c: RawMqtt; connack: mqttPacket.IConnackPacket }> {
    const sock = net.connect(port, '127.0.0.1');
    await new Promise<void>((r, j) => {
      sock.once('connect', r);
      sock.once('error', j);
    });
    const version = o.version ?? 4;
    const c = new RawMqtt(sock, version);
    c.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: version,
      clean: o.clean ?? false,
      clientId,
      keepalive: 0,
      username: 'guest',
      password: Buffer.from('guest'),
      ...(o.properties ? { properties: o.properties } : {}),
      ...(o.will ? { will: o.will } : {}),
    });
    const connack = (await c.next('connack')) as mqttPacket.IConnackPacket;
    return { c, connack };
  }

  send(p: Packet): void {
    this.sock.write(mqttPacket.generate(p, { protocolVersion: this.version }));
  }

  /** The next packet of type `cmd` (earlier ones of other types stay for their own next()). */
  next(cmd: string, timeoutMs = 5000): Promise<Packet> {
    const i = this.got.findIndex((p) => p.cmd === cmd);
    if (i >= 0) return Promise.resolve(this.got.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const w = {
        cmd,
        resolve: (p: Packet) => {
          clearTimeout(t);
          resolve(p);
        },
      };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`no ${cmd} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Packets of type `cmd` received and not yet taken. */
  pending(cmd: string): Packet[] {
    return this.got.filter((p) => p.cmd === cmd);
  }

  async subscribe(topic: string, qos: 0 | 1 | 2, messageId = 1): Promise<number[]> {
    this.send({ cmd: 'subscribe', messageId, subscriptions: [{ topic, qos }] });
    return ((await this.next('suback')) as mqttPacket.ISubackPacket).granted as number[];
  }

  /** Drop the connection without DISCONNECT (a network failure: the session stays, the will goes). */
  async drop(): Promise<void> {
    this.sock.destroy();
    await this.closedP;
  }

  async disconnect(): Promise<void> {
    this.send({ cmd: 'disconnect' });
    this.sock.end();
    await this.closedP;
  }
}
