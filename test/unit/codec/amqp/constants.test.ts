// constants.ts against the spec XML: every <constant> reply code is in ReplyCode with its ReplyText name and
// hard/soft class, plus RabbitMQ's NO_ROUTE 312, which the extended XML leaves out; frame constants and the
// protocol header.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  FRAME_END,
  FRAME_MIN_SIZE,
  FrameType,
  PROTOCOL_HEADER,
  ReplyCode,
  ReplyText,
  isHardError,
} from '../../../../src/codec/amqp/index.js';
import { REPO_ROOT } from '../../../helpers/paths.js';

const ROOT = REPO_ROOT;
const SPEC = readFileSync(join(ROOT, 'spec-data/amqp0-9-1.stripped.extended.xml'), 'utf8');

test('reply codes and frame constants match the spec XML', () => {
  const constants = [...SPEC.matchAll(/<constant name="([\w-]+)" value="(\d+)"(?: class="([\w-]+)")?/g)];
  assert.ok(constants.length > 20);
  const codes = ReplyCode as Record<string, number>;
  for (const [, name, value, cls] of constants) {
    const key = name!.toUpperCase().replace(/-/g, '_');
    if (name!.startsWith('frame-')) continue;
    assert.equal(codes[key], Number(value), name);
    assert.equal(ReplyText[Number(value)], key);
    if (cls) assert.equal(isHardError(Number(value)), cls === 'hard-error', name);
  }
  assert.equal(ReplyCode.NO_ROUTE, 312);
  assert.equal(ReplyText[312], 'NO_ROUTE');
  assert.deepEqual(FrameType, { METHOD: 1, HEADER: 2, BODY: 3, HEARTBEAT: 8 });
  assert.equal(FRAME_END, 206);
  assert.equal(FRAME_MIN_SIZE, 4096);
  assert.deepEqual([...PROTOCOL_HEADER], [0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);
});
