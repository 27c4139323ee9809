// badProperties: what mqtt-packet's parser lets through in MQTT 5 properties (truncated strings as null,
// repeated properties as arrays) is refused with 0x81 / 0x82. The first packet is the fuzzer's find (seed 1,
// case 465 of bench/fuzz/run.js mqtt): a User Property whose key length runs past the packet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { badProperties } from '../../../../src/frontend/mqtt/properties-check.js';

function parse(hex: string): Packet[] {
  const out: Packet[] = [];
  const p = mqttPacket.parser({ protocolVersion: 5 });
  p.on('packet', (x: Packet) => out.push(x));
  p.on('error', () => {});
  p.parse(Buffer.from(hex, 'hex'));
  return out;
}

test('a User Property running past its packet is 0x81 Malformed Packet', () => {
  // a mutated mqtt.js session: its PUBLISH rec/x/a has a User Property (0x26) with key length 0x0101
  const all = parse(
    '103c00044d51545405ce001e0b110001000021001422000500057265632d350000087265632f77696c6c0004676f6e650005677565737400056775657374821587260000077265632f2b2f610100057265632f2300322f00077265632f782f6187271f03000a746578742f706c61696e2601016b000176020000003c080003722f74716f733140020001310c00057265632f7900716f7330310800057265632f7900a20a87280000057265632f23e0020000',
  );
  const withNull = all.find((x) => x.cmd === 'publish' && x.properties?.userProperties);
  assert.ok(withNull, 'the parser yields the publish');
  assert.equal(badProperties(withNull), 0x81);
});

test('a property other than User Property sent twice is 0x82 Protocol Error', () => {
  const p = {
    cmd: 'publish',
    topic: 't',
    payload: Buffer.alloc(0),
    qos: 0,
    dup: false,
    retain: false,
    properties: { contentType: ['a', 'b'] },
  };
  assert.equal(badProperties(p as unknown as Packet), 0x82);
});

test('sound properties, repeated User Properties and packets without properties pass', () => {
  const p = {
    cmd: 'publish',
    topic: 't',
    payload: Buffer.alloc(0),
    qos: 0,
    dup: false,
    retain: false,
    properties: { contentType: 'a', userProperties: { k: ['v', 'w'], j: 'x' } },
  };
  assert.equal(badProperties(p as unknown as Packet), 0);
  assert.equal(badProperties({ cmd: 'pingreq' } as Packet), 0);
  const c = { cmd: 'connect', will: { topic: 't', payload: Buffer.alloc(0), properties: { contentType: null } } };
  assert.equal(badProperties(c as unknown as Packet), 0x81);
});
