// The Stream protocol front end (RabbitMQ's rabbitmq_stream plugin: port 5552, TLS 5551): accepts TCP and TLS
// sockets; the 1 s ticker, alarms and shutdown are the shared front-end server's (net/front-end-server.ts).
// It holds what is shared across its connections: the single-active-consumer groups (sac.ts), and the host and
// port clients are told to connect to (stream.advertised_host / advertised_port; by default the node's host
// name, or `localhost` on a loopback connection as RabbitMQ does, so a client on this machine never wanders to
// another broker; the port is the listener's).
import { hostname } from 'node:os';
import type { Duplex } from 'node:stream';
import { isLoopback } from '../../core/broker.js';
import { FrontEndServer, setNoDelay } from '../net/front-end-server.js';
import type { AdvertisedAddress, StreamServerContext } from './context.js';
import { StreamProtocolConnection } from './connection.js';
import { SacGroups } from './sac.js';

export class StreamServer extends FrontEndServer<StreamProtocolConnection> implements StreamServerContext {
  readonly sac = new SacGroups();

  handleStream(stream: Duplex, remoteAddress: string, transport: string): void {
    setNoDelay(stream);
    this.connections.add(new StreamProtocolConnection(this, stream, remoteAddress, transport));
  }

  advertised(tls: boolean, localAddress: string | undefined, localPort: number | undefined): AdvertisedAddress {
    const o = this.options;
    const host =
      o.streamAdvertisedHost ?? (localAddress !== undefined && isLoopback(localAddress) ? 'localhost' : hostname());
    // the advertised port is the plain listener's (stream.advertised_port); TLS clients get the port they used
    return { host, port: (tls ? null : o.streamAdvertisedPort) ?? localPort ?? 5552 };
  }
}
