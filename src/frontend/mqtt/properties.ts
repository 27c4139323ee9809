// MQTT 5 PUBLISH properties between mqtt-packet's packets and what Warren carries with a message
// (format.ts Mqtt5Properties).
import type mqttPacket from 'mqtt-packet';
import type { Mqtt5Properties } from './format.js';

type PublishProperties = mqttPacket.IPublishPacket['properties'];

/** The MQTT 5 PUBLISH properties Warren carries with a message. */
export function publishProps(p: PublishProperties | undefined): Mqtt5Properties | null {
  if (p === undefined) return null;
  const out: Mqtt5Properties = {};
  if (p.payloadFormatIndicator !== undefined) out.payloadFormatIndicator = p.payloadFormatIndicator;
  if (p.messageExpiryInterval !== undefined) out.messageExpiryInterval = p.messageExpiryInterval;
  if (p.contentType !== undefined) out.contentType = p.contentType;
  if (p.responseTopic !== undefined) out.responseTopic = p.responseTopic;
  if (p.correlationData !== undefined) out.correlationData = Buffer.from(p.correlationData).toString('base64');
  if (p.userProperties !== undefined) out.userProperties = p.userProperties;
  return Object.keys(out).length === 0 ? null : out;
}

/** The properties of a PUBLISH to a client; `remaining` is the expiry interval left (-1: none). */
export function deliveryProps(v5: Mqtt5Properties | null, remaining: number): PublishProperties {
  if (v5 === null && remaining < 0) return undefined;
  const p: NonNullable<PublishProperties> = {};
  if (v5) {
    if (v5.payloadFormatIndicator !== undefined) p.payloadFormatIndicator = v5.payloadFormatIndicator;
    if (v5.contentType !== undefined) p.contentType = v5.contentType;
    if (v5.responseTopic !== undefined) p.responseTopic = v5.responseTopic;
    if (v5.correlationData !== undefined) p.correlationData = Buffer.from(v5.correlationData, 'base64');
    if (v5.userProperties !== undefined) p.userProperties = v5.userProperties;
  }
  // §3.3.2.3.3: the interval forwarded is what is left of it
  if (remaining >= 0) p.messageExpiryInterval = remaining;
  return p;
}
