// Every fuzz target by name.
import { amqpTarget } from './amqp-target.js';
import { httpTarget } from './http-target.js';
import { mqttTarget } from './mqtt-target.js';
import { stompTarget } from './stomp-target.js';
import { streamTarget } from './stream-target.js';
import type { FuzzTarget } from './harness.js';

export const TARGETS: Record<string, FuzzTarget> = {
  amqp: amqpTarget,
  mqtt: mqttTarget,
  stomp: stompTarget,
  stream: streamTarget,
  http: httpTarget,
};
