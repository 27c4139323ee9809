// rabbitmqctl's PrettyTable formatter, byte for byte: the anchor RabbitMQ 3.10's
// `rabbitmqctl -q list_stream_connections conn_name user port`, piped to a file, with one and two connections.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prettyTable } from '../../src/cli/pretty-table.js';

const E = '\u001b';
const top = `${E}(0lqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqwqqqqqqqwqqqqqqk${E}(B\n`;
const head = `${E}(0x${E}(B ${E}[1mconn_name${E}[0m                         ${E}(0x${E}(B ${E}[1muser${E}[0m  ${E}(0x${E}(B ${E}[1mport${E}[0m ${E}(0x${E}(B\n`;
const rule = `${E}(0tqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqnqqqqqqqnqqqqqqu${E}(B\n`;
const row = (port: number): string =>
  `${E}(0x${E}(B 127.0.0.1:${port} -> 127.0.0.1:5552 ${E}(0x${E}(B guest ${E}(0x${E}(B 5552 ${E}(0x${E}(B\n`;
const bottom = `${E}(0mqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqvqqqqqqqvqqqqqqj${E}(B\n`;
const header = ['conn_name', 'user', 'port'];
const cells = (port: number): string[] => [`127.0.0.1:${port} -> 127.0.0.1:5552`, 'guest', '5552'];

test('one row: box, bold headers, columns as wide as their widest cell', () => {
  assert.equal(prettyTable(header, [cells(36220)]), top + head + rule + row(36220) + bottom);
});

test('two rows: a rule between rows too', () => {
  assert.equal(
    prettyTable(header, [cells(45522), cells(47800)]),
    top + head + rule + row(45522) + rule + row(47800) + bottom,
  );
});

test('a header wider than its cells sets the width; no header (--no-table-headers): the rows only', () => {
  const t = prettyTable(['subscription_id'], [['0']]);
  assert.ok(t.includes(`${E}(0x${E}(B 0               ${E}(0x${E}(B\n`));
  assert.equal(
    prettyTable(null, [['a'], ['bb']]),
    `${E}(0lqqqqk${E}(B\n${E}(0x${E}(B a  ${E}(0x${E}(B\n${E}(0tqqqqu${E}(B\n${E}(0x${E}(B bb ${E}(0x${E}(B\n${E}(0mqqqqj${E}(B\n`,
  );
});
