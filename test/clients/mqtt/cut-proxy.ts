// A TCP proxy between an MQTT client and Warren that cuts the connection once, at a chosen packet, without
// passing that packet on: a network failure in the middle of a QoS 2 handshake, for clients (mqtt.js) that
// reconnect and resume on their own.
import net from 'node:net';
import mqttPacket from 'mqtt-packet';

export interface CutProxy {
  readonly port: number;
  /** Set once the cut happened. */
  cut: boolean;
  close(): Promise<void>;
}

/** Cut at the first `cmd` going `toBroker` (client → Warren) or the other way. */
export async function cutProxy(brokerPort: number, cmd: string, toBroker: boolean, version = 4): Promise<CutProxy> {
  const socks = new Set<net.Socket>();
  const state: CutProxy = {
    port: 0,
    cut: false,
    close: () =>
      new Promise<void>((r) => {
        for (const s of socks) s.destroy();
        server.close(() => r());
      }),
  };
  const server = net.createServer((client) => {
    const broker = net.connect(brokerPort, '127.0.0.1');
    socks.add(client);
    socks.add(broker);
    const pipe = (from: net.Socket, to: net.Socket, watched: boolean) => {
      const parser = mqttPacket.parser({ protocolVersion: version });
      parser.on('packet', (p: mqttPacket.Packet) => {
        if (watched && !state.cut && p.cmd === cmd) {
          state.cut = true;
          client.destroy();
          broker.destroy();
          return;
        }
        if (!to.destroyed) to.write(mqttPacket.generate(p, { protocolVersion: version }));
      });
      from.on('data', (d) => parser.parse(d));
      from.on('error', () => {});
      from.on('close', () => to.destroy());
    };
    pipe(client, broker, toBroker);
    pipe(broker, client, !toBroker);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  (state as { port: number }).port = (server.address() as net.AddressInfo).port;
  return state;
}
