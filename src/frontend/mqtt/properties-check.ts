// What mqtt-packet's parser lets through in MQTT 5 properties and a broker must refuse. Its property parser
// does not check that a string or binary property fits in what is left of the packet: a truncated one
// comes out as null (a User Property as {"null": null}) instead of a parse error, and a property sent twice
// comes out as an array. Found by the fuzzer (test/fuzz): a null User Property value was stored with the
// message and made mqtt-packet's generate() throw when the message was delivered.
import type { Packet } from 'mqtt-packet';

/** 0x81 Malformed Packet, 0x82 Protocol Error (MQTT 5 §2.4), or 0 when the properties are sound. */
export function badProperties(p: Packet): number {
  const props = (p as { properties?: Record<string, unknown> }).properties;
  const will = p.cmd === 'connect' ? (p.will?.properties as Record<string, unknown> | undefined) : undefined;
  return Math.max(check(props), check(will));
}

function check(props: Record<string, unknown> | undefined): number {
  if (props === undefined || props === null) return 0;
  for (const k of Object.keys(props)) {
    const v = props[k];
    if (v === null || v === undefined) return 0x81; // a string/binary longer than the packet
    if (k === 'userProperties') {
      const u = v as Record<string, unknown>;
      for (const name of Object.keys(u)) {
        const x = u[name];
        if (x === null || (Array.isArray(x) && x.some((y) => y === null))) return 0x81;
      }
    } else if (Array.isArray(v)) {
      // §2.2.2.2: "It is a Protocol Error to include [this property] more than once" (all but User Property)
      return 0x82;
    }
  }
  return 0;
}
