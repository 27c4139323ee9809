// The part of rascal's API (npm, no type declarations of its own) that rascal.test.ts uses.
declare module 'rascal' {
  import type { EventEmitter } from 'node:events';

  export type AckOrNack = (err?: Error, recovery?: object | object[]) => void;

  export interface Message {
    content: Buffer;
    fields: { routingKey: string; exchange: string; redelivered: boolean; deliveryTag: number };
    properties: { headers?: Record<string, unknown>; messageId?: string; contentType?: string };
  }

  export interface SubscriptionSession extends EventEmitter {
    cancel(): Promise<void>;
  }

  export interface BrokerAsPromised extends EventEmitter {
    publish(name: string, message: unknown, overrides?: object | string): Promise<EventEmitter>;
    forward(name: string, message: Message, overrides?: object | string): Promise<EventEmitter>;
    subscribe(name: string, overrides?: object): Promise<SubscriptionSession>;
    shutdown(): Promise<void>;
    nuke(): Promise<void>;
  }

  const rascal: {
    BrokerAsPromised: { create(config: object): Promise<BrokerAsPromised> };
    withDefaultConfig(config: object): object;
  };
  export default rascal;
}
