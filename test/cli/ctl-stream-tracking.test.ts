// rabbitmq-streams' tracking commands in `warrenctl`: `stream_status --tracking` (3.10) and
// `list_stream_tracking` (3.11+), with a real stream client's publisher reference and stored offsets, in each
// formatter, as the anchor RabbitMQ prints them (rows, value shapes, the empty list, errors and exit codes).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as rs from 'rabbitmq-stream-js-client';
import { startApi, type Api } from '../management/helpers.js';
import { eventually } from '../helpers/broker.js';
import { warrenctl, type CtlResult } from '../helpers/warrenctl.js';
import { prettyTable } from '../../src/cli/pretty-table.js';

let api: Api;
let client: rs.Client;
let node: string;

before(async () => {
  api = await startApi({ streamPort: 0 });
  const port = api.b.streamPort!;
  client = await rs.connect({ hostname: 'localhost', port, username: 'guest', password: 'guest', vhost: '/' });
  await client.createStream({ stream: 'trk', arguments: {} });
  await client.createStream({ stream: 'trk.empty', arguments: {} });
  const pub = await client.declarePublisher({ stream: 'trk', publisherRef: 'writer-ref-1' });
  for (let i = 10; i <= 14; i++) await pub.basicSend(BigInt(i), Buffer.from(`m${i}`));
  await pub.flush();
  for (const [ref, offset] of [
    ['consumer-ref-a', 2n],
    ['consumer-ref-b', 4n],
  ] as const) {
    const k = await client.declareConsumer({ stream: 'trk', offset: rs.Offset.first(), consumerRef: ref }, () => {});
    await k.storeOffset(offset);
  }
  await eventually(async () => (await client.queryOffset({ reference: 'consumer-ref-b', stream: 'trk' })) === 4n);
  await eventually(async () => {
    const r = (await api.get('/api/stream/tracking/%2F/trk')) as { sequences: unknown[] };
    return r.sequences.length === 1;
  });
  node = String(((await api.get('/api/overview')) as Record<string, unknown>)['node']);
});
after(async () => {
  await client.close();
  await api.b.close();
});

const ctl = (...args: string[]): Promise<CtlResult> => warrenctl(api.base, ...args);

test("the management API: a stream's sequences (with their chunk) and stored offsets; 404 and 400", async () => {
  assert.deepEqual(await api.get('/api/stream/tracking/%2F/trk'), {
    sequences: [{ reference: 'writer-ref-1', chunk_id: 0, sequence: 14 }],
    offsets: [
      { reference: 'consumer-ref-a', offset: 2 },
      { reference: 'consumer-ref-b', offset: 4 },
    ],
  });
  assert.equal((await api.req('GET', '/api/stream/tracking/%2F/nosuch')).status, 404);
  await api.req('PUT', '/api/queues/%2F/trk.classic', { durable: true });
  assert.equal((await api.req('GET', '/api/stream/tracking/%2F/trk.classic')).status, 400);
});

test('stream_status --tracking: sequence and offset rows in each formatter, the empty list, errors', async () => {
  const banner = `Status of stream trk on node ${node} ...\n`;
  assert.deepEqual(await ctl('stream_status', '--tracking', 'trk', '--formatter', 'table'), {
    code: 0,
    out:
      banner +
      'type\treference\tvalue\n' +
      'sequence\twriter-ref-1\t{0, 14}\noffset\tconsumer-ref-b\t4\noffset\tconsumer-ref-a\t2\n',
    err: '',
  });
  const pretty = await ctl('stream_status', '--tracking', 'trk');
  assert.equal(
    pretty.out,
    banner +
      prettyTable(
        ['type', 'reference', 'value'],
        [
          ['sequence', 'writer-ref-1', '{0,14}'],
          ['offset', 'consumer-ref-b', '4'],
          ['offset', 'consumer-ref-a', '2'],
        ],
      ),
  );
  const json = await ctl('stream_status', '--tracking', 'trk', '--formatter', 'json');
  assert.deepEqual(JSON.parse(json.out), [
    { type: 'sequence', reference: 'writer-ref-1', value: [0, 14] },
    { type: 'offset', reference: 'consumer-ref-b', value: 4 },
    { type: 'offset', reference: 'consumer-ref-a', value: 2 },
  ]);
  // an empty list: PrettyTable's `Output` box holding [], a blank line in a table, [] in JSON
  const empty = await ctl('-q', 'stream_status', '--tracking', 'trk.empty');
  assert.equal(empty.out, prettyTable(['Output'], [['[]']]));
  assert.equal((await ctl('-q', 'stream_status', '--tracking', 'trk.empty', '--formatter', 'table')).out, '\n');
  assert.equal((await ctl('stream_status', '--tracking', 'trk.empty', '--formatter', 'json')).out, '[]\n');
  const none = await ctl('stream_status', '--tracking', 'nosuch');
  assert.deepEqual([none.code, none.err], [69, 'Error: not_found\n']);
  await api.req('PUT', '/api/queues/%2F/trk.classic', { durable: true });
  const classic = await ctl('stream_status', '--tracking', 'trk.classic');
  assert.deepEqual([classic.code, classic.err], [69, 'Error: Cannot get stream status of a classic queue\n']);
});

test('list_stream_tracking --all (default), --offset, --writer; validation and a missing stream', async () => {
  const T = ['--formatter', 'table'];
  assert.deepEqual(await ctl('list_stream_tracking', 'trk', ...T), {
    code: 0,
    out:
      'Listing tracking information for stream trk ...\n' +
      'type\tname\toffset (sequence)\n' +
      'writer\twriter-ref-1\t0 (14)\noffset\tconsumer-ref-b\t4\noffset\tconsumer-ref-a\t2\n',
    err: '',
  });
  assert.equal(
    (await ctl('-q', 'list_stream_tracking', 'trk', '--offset', ...T)).out,
    'type\tname\toffset\noffset\tconsumer-ref-b\t4\noffset\tconsumer-ref-a\t2\n',
  );
  assert.deepEqual(JSON.parse((await ctl('list_stream_tracking', 'trk', '--writer', '--formatter', 'json')).out), [
    { type: 'writer', name: 'writer-ref-1', 'offset (sequence)': '0 (14)' },
  ]);
  assert.ok((await ctl('list_stream_tracking', 'trk')).out.includes('\u001b(0l'), 'PrettyTable by default');
  const both = await ctl('list_stream_tracking', 'trk', '--offset', '--writer');
  assert.deepEqual([both.code, both.err], [64, 'Error: Specify only one of --all, --offset, --writer.\n']);
  assert.equal((await ctl('list_stream_tracking')).code, 64);
  const none = await ctl('list_stream_tracking', 'nosuch');
  assert.deepEqual([none.code, none.err], [69, 'Error: The stream does not exist.\n']);
});
