// What a Stream protocol connection needs of its server (server.ts implements it), so that the connection does
// not import the server: the shared front-end host, the single-active-consumer groups, and the host and port
// clients are told to connect to.
import type { FrontEndHost } from '../net/front-end-server.js';
import type { SacGroups } from './sac.js';

export interface StreamServerContext extends FrontEndHost {
  readonly sac: SacGroups;
  /** The host and port advertised in Open's response and Metadata (stream.advertised_host/_port). */
  advertised(tls: boolean, localAddress: string | undefined, localPort: number | undefined): AdvertisedAddress;
}

export interface AdvertisedAddress {
  host: string;
  port: number;
}
