#!/usr/bin/env node
// Generates src/codec/amqp/methods.generated.ts from spec-data/amqp0-9-1.stripped.extended.xml: one class per
// method (stable shape, camelCase fields), MethodId, the AmqpMethod union, methodName/methodHasContent,
// decodeMethod (bounds-checked, bit fields packed per amqp0-9-1 §4.2.5.2) and a write<Class><Method> encoder per
// method emitting a complete frame, plus encodeMethod. `--check` exits 1 when the file on disk differs.
// No dependencies: the XML is read with a small tag tokenizer, enough for the spec's plain structure.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SPEC = 'spec-data/amqp0-9-1.stripped.extended.xml';
const OUT = 'src/codec/amqp/methods.generated.ts';

// ---- XML -------------------------------------------------------------------------------------------------

function parseXml(text) {
  text = text.replace(/<!--[\s\S]*?-->/g, '').replace(/<\?[\s\S]*?\?>/g, '');
  const root = { tag: '#root', attrs: {}, children: [] };
  const stack = [root];
  const re = /<(\/?)([\w:-]+)((?:\s+[\w:-]+\s*=\s*"[^"]*")*)\s*(\/?)>/g;
  for (let m; (m = re.exec(text));) {
    const [, close, tag, attrText, selfClose] = m;
    if (close) {
      const top = stack.pop();
      if (top.tag !== tag) throw new Error(`${SPEC}: </${tag}> closes <${top.tag}>`);
      continue;
    }
    const attrs = {};
    for (const a of attrText.matchAll(/([\w:-]+)\s*=\s*"([^"]*)"/g)) attrs[a[1]] = a[2];
    const node = { tag, attrs, children: [] };
    stack[stack.length - 1].children.push(node);
    if (!selfClose) stack.push(node);
  }
  if (stack.length !== 1) throw new Error(`${SPEC}: unclosed <${stack[stack.length - 1].tag}>`);
  return root.children.find((n) => n.tag === 'amqp');
}

// ---- model -----------------------------------------------------------------------------------------------

const camel = (s) => s.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
const pascal = (s) => camel(s).replace(/^[a-z]/, (c) => c.toUpperCase());
// 'no-wait' is named nowait, as in RabbitMQ's own framing records and the confirm.select field
const fieldName = (s) => (s === 'no-wait' ? 'nowait' : camel(s));
// `arguments` cannot name a parameter in strict mode
const paramName = (s) => (s === 'arguments' ? 'args' : s);
const hex = (n) => '0x' + n.toString(16).padStart(8, '0');

/** longstr fields carrying binary SASL data or secrets: Buffer, not string. */
const BINARY = new Set(
  (
    'connection.start.mechanisms connection.start.locales connection.start-ok.response connection.secure.challenge ' +
    'connection.secure-ok.response connection.update-secret.new-secret'
  ).split(' '),
);

/** Decoded first in decodeMethod's switch: the per-message methods. */
const HOT = (
  'basic.publish basic.ack basic.deliver basic.nack basic.reject basic.get basic.qos basic.consume basic.cancel ' +
  'basic.get-ok basic.get-empty basic.return'
).split(' ');

const FIXED = { octet: 1, short: 2, long: 4, longlong: 8, timestamp: 8 };

/**
 * RabbitMQ extensions missing from the extended XML but in RabbitMQ's own amqp-rabbitmq-0.9.1.json (and used by
 * clients: amqplib, the Java and Go clients): connection.blocked/unblocked and connection.update-secret(-ok).
 */
const EXTENSIONS = `
  <class name="connection" index="10">
    <method name="blocked" index="60"><field name="reason" domain="shortstr"/></method>
    <method name="unblocked" index="61"/>
    <method name="update-secret" synchronous="1" index="70">
      <field name="new-secret" domain="longstr"/>
      <field name="reason" domain="shortstr"/>
    </method>
    <method name="update-secret-ok" synchronous="1" index="71"/>
  </class>`;

function withExtensions(amqp) {
  for (const ext of parseXml(`<amqp>${EXTENSIONS}</amqp>`).children) {
    const cls = amqp.children.find((n) => n.tag === 'class' && n.attrs.name === ext.attrs.name);
    for (const m of ext.children) {
      if (cls.children.some((n) => n.tag === 'method' && n.attrs.index === m.attrs.index)) continue; // spec has it
      cls.children.push(m);
    }
  }
  return amqp;
}

function model(amqp) {
  const domains = new Map();
  for (const d of amqp.children.filter((n) => n.tag === 'domain')) domains.set(d.attrs.name, d.attrs.type);
  const methods = [];
  for (const c of amqp.children.filter((n) => n.tag === 'class')) {
    for (const m of c.children.filter((n) => n.tag === 'method')) {
      const full = `${c.attrs.name}.${m.attrs.name}`;
      const fields = m.children
        .filter((n) => n.tag === 'field')
        .map((f) => {
          const type = f.attrs.type ?? domains.get(f.attrs.domain);
          if (!(type in FIXED) && !['bit', 'shortstr', 'longstr', 'table'].includes(type)) {
            throw new Error(`${SPEC}: unknown type ${type} for ${full} ${f.attrs.name}`);
          }
          return {
            spec: f.attrs.name,
            name: fieldName(f.attrs.name),
            type,
            reserved: f.attrs.reserved === '1',
            binary: BINARY.has(`${full}.${f.attrs.name}`),
          };
        });
      const classId = Number(c.attrs.index);
      const methodId = Number(m.attrs.index);
      methods.push({
        full,
        cls: pascal(c.attrs.name) + pascal(m.attrs.name),
        classId,
        methodId,
        id: classId * 65536 + methodId,
        content: m.attrs.content === '1',
        fields,
      });
    }
  }
  for (const name of BINARY) {
    if (!methods.some((m) => m.fields.some((f) => `${m.full}.${f.spec}` === name))) throw new Error(`no ${name}`);
  }
  return methods;
}

/** Fields grouped for the wire: consecutive bits share octets (at most 8 each), as RabbitMQ's codegen packs them. */
function packed(fields) {
  const out = [];
  let bits = null;
  for (const f of fields) {
    if (f.type === 'bit') {
      if (!bits || bits.fields.length === 8) out.push((bits = { type: 'bits', fields: [] }));
      bits.fields.push(f);
    } else {
      bits = null;
      out.push(f);
    }
  }
  return out;
}

const size = (g) => (g.type === 'bits' ? 1 : FIXED[g.type]);

const TS_TYPE = { bit: 'boolean', shortstr: 'string', table: 'FieldTable' };
const tsType = (f) => (f.type === 'longstr' ? (f.binary ? 'Buffer' : 'string') : (TS_TYPE[f.type] ?? 'number'));

const INIT = { bit: ' = false', shortstr: " = ''", table: ': FieldTable = {}' };
const initialiser = (f) =>
  f.type === 'longstr' ? (f.binary ? ': Buffer = Buffer.alloc(0)' : " = ''") : (INIT[f.type] ?? ' = 0');

// ---- emit ------------------------------------------------------------------------------------------------

function emitClass(m) {
  const L = [];
  L.push(`/** ${m.full} (${m.classId}, ${m.methodId})${m.content ? ', carries content' : ''} */`);
  L.push(`export class ${m.cls} {`);
  L.push(`  static readonly classId = ${m.classId};`, `  static readonly methodId = ${m.methodId};`);
  L.push(`  readonly id = ${hex(m.id)};`);
  for (const f of m.fields) L.push(`  ${f.name}${initialiser(f)};`);
  L.push('}');
  return L.join('\n');
}

function emitDecoder(m) {
  const L = [];
  const id = hex(m.id);
  L.push(`function d${m.cls}(b: Buffer, e: number): ${m.cls} {`);
  if (m.fields.length === 0) {
    L.push(`  if (e !== 4) bad(b, ${id});`, `  return new ${m.cls}();`, '}');
    return L.join('\n');
  }
  const groups = packed(m.fields);
  L.push(`  const m = new ${m.cls}();`, '  let p = 4;');
  if (groups.some((g) => !(g.type in FIXED))) L.push('  let n = 0;');
  for (let i = 0; i < groups.length;) {
    if (groups[i].type === 'bits' || groups[i].type in FIXED) {
      // a run of fixed-size fields: one bounds check
      let j = i;
      let total = 0;
      while (j < groups.length && (groups[j].type === 'bits' || groups[j].type in FIXED)) total += size(groups[j++]);
      L.push(`  if (p + ${total} > e) bad(b, ${id});`);
      let off = 0;
      for (; i < j; i++) {
        const g = groups[i];
        const at = off === 0 ? 'p' : `p + ${off}`;
        if (g.type === 'bits') {
          L.push(`  n = b[${at}];`);
          g.fields.forEach((f, k) => L.push(`  m.${f.name} = (n & ${1 << k}) !== 0;`));
        } else if (g.type === 'octet') L.push(`  m.${g.name} = b[${at}];`);
        else if (g.type === 'short') L.push(`  m.${g.name} = rd16(b, ${at});`);
        else if (g.type === 'long') L.push(`  m.${g.name} = rd32(b, ${at});`);
        else L.push(`  m.${g.name} = rd64(b, ${at});`);
        off += size(g);
      }
      L.push(`  p += ${total};`);
      continue;
    }
    const g = groups[i++];
    if (g.type === 'shortstr') {
      L.push(`  if (p >= e) bad(b, ${id});`, '  n = b[p] + 1;', `  if (p + n > e) bad(b, ${id});`);
      L.push(m.content ? `  m.${g.name} = str(b, p + 1, p + n);` : `  m.${g.name} = sstr(b, p + 1, p + n, ${id});`);
    } else {
      L.push(`  if (p + 4 > e) bad(b, ${id});`, '  n = rd32(b, p) + 4;', `  if (p + n > e) bad(b, ${id});`);
      if (g.type === 'table') L.push(`  m.${g.name} = tbl(b, p + 4, n - 4, ${id});`);
      else L.push(`  m.${g.name} = ${g.binary ? 'bin' : 'str'}(b, p + 4, p + n);`);
    }
    L.push('  p += n;');
  }
  L.push(`  if (p !== e) bad(b, ${id});`, '  return m;', '}');
  return L.join('\n');
}

function signature(name, params) {
  const one = `export function ${name}(${params.join(', ')}): void {`;
  if (one.length <= 120) return [one];
  return [`export function ${name}(`, ...params.map((p) => `  ${p},`), '): void {'];
}

function emitWriter(m) {
  const args = m.fields.filter((f) => !f.reserved);
  const params = ['w: Writer', 'channel: number', ...args.map((f) => `${paramName(f.name)}: ${tsType(f)}`)];
  const L = [`/** Writes a complete ${m.full} method frame. */`, ...signature(`write${m.cls}`, params)];
  const groups = packed(m.fields);
  const val = (f) => paramName(f.name);
  const bitsExpr = (g) => {
    const parts = g.fields.filter((f) => !f.reserved).map((f) => `${val(f)} ? ${1 << g.fields.indexOf(f)} : 0`);
    return parts.length === 0 ? '0' : parts.length === 1 ? parts[0] : parts.map((x) => `(${x})`).join(' | ');
  };
  // a reserved string or table is written empty: a fixed run of zero octets
  const zeros = { shortstr: 1, longstr: 4, table: 4 };
  const fixed = (g) => g.type === 'bits' || g.type in FIXED || (g.reserved && g.type in zeros);
  const width = (g) => (g.type in zeros ? zeros[g.type] : size(g));
  if (groups.every(fixed)) {
    // fixed size: one ensure, direct writes
    const payload = 4 + groups.reduce((s, g) => s + width(g), 0);
    L.push(`  w.ensure(${payload + 8});`, '  const b = w.buf;', '  const p = w.pos;');
    L.push(`  head(b, p, channel, ${payload}, ${hex(m.id)});`);
    let off = 11;
    for (const g of groups) {
      const r = g.reserved;
      if (g.type === 'bits') L.push(`  b[p + ${off}] = ${bitsExpr(g)};`);
      else if (g.type === 'octet') L.push(`  b[p + ${off}] = ${r ? 0 : val(g)};`);
      else if (g.type === 'short') {
        if (r) L.push(`  b[p + ${off}] = 0;`, `  b[p + ${off + 1}] = 0;`);
        else L.push(`  b[p + ${off}] = ${val(g)} >>> 8;`, `  b[p + ${off + 1}] = ${val(g)};`);
      } else if (g.type === 'long' || width(g) === 4) L.push(`  wr32(b, p + ${off}, ${r ? 0 : val(g)});`);
      else if (g.type === 'shortstr') L.push(`  b[p + ${off}] = 0;`);
      else L.push(`  wr64(b, p + ${off}, ${r ? 0 : val(g)});`);
      off += width(g);
    }
    L.push(`  b[p + ${off}] = 0xce;`, `  w.pos = p + ${off + 1};`, '}');
    return L.join('\n');
  }
  const body = [];
  for (const g of groups) {
    const r = g.reserved;
    if (g.type === 'bits') body.push(`w.u8(${bitsExpr(g)});`);
    else if (g.type === 'octet') body.push(`w.u8(${r ? 0 : val(g)});`);
    else if (g.type === 'short') body.push(`w.u16(${r ? 0 : val(g)});`);
    else if (g.type === 'long') body.push(`w.u32(${r ? 0 : val(g)});`);
    else if (g.type in FIXED) body.push(`w.u64(${r ? 0 : val(g)});`);
    else if (g.type === 'shortstr') body.push(r ? 'w.u8(0);' : `w.shortstr(${val(g)});`);
    else if (g.type === 'longstr') body.push(r ? 'w.u32(0);' : `w.longstr(${val(g)});`);
    else body.push(r ? 'w.u32(0);' : `encodeTable(w, ${val(g)});`);
  }
  // only strings and tables can fail to encode; without them no rollback is needed
  const canThrow = groups.some((g) => !g.reserved && (g.type === 'shortstr' || g.type === 'table'));
  L.push(`  const f = begin(w, channel, ${hex(m.id)});`);
  if (canThrow) {
    L.push('  try {', ...body.map((s) => `    ${s}`), '  } catch (e) {', '    abort(w, f);', '    throw e;', '  }');
  } else L.push(...body.map((s) => `  ${s}`));
  L.push('  end(w, f);', '}');
  return L.join('\n');
}

function generate(methods) {
  const L = [];
  L.push(`// Generated by scripts/gen-amqp.mjs from ${SPEC}; do not edit, run npm run gen`);
  L.push(
    '// AMQP 0-9-1 methods: one class per method (fields camelCase, reserved fields kept), MethodId (classId << 16',
  );
  L.push('// | methodId), decodeMethod for a method frame payload (bounds-checked; errors as in method-codec.ts) and');
  L.push('// write<Class><Method>(w, channel, ...args) writing a complete frame with reserved fields zero/empty.');
  L.push('/* eslint-disable */');
  L.push("import type { Writer } from '../buffer/writer.js';");
  L.push("import { encodeTable, type FieldTable } from './field-table.js';");
  const helpers = 'abort bad begin bin end head rd16 rd32 rd64 shortMethod sstr str tbl unknownMethod wr32 wr64';
  L.push('import {', ...helpers.split(' ').map((h) => `  ${h},`));
  L.push("} from './method-codec.js';");
  L.push('');
  for (const m of methods) L.push(emitClass(m), '');
  L.push('export const MethodId = {');
  for (const m of methods) L.push(`  ${m.cls}: ${hex(m.id)},`);
  L.push('} as const;', '');
  L.push('export type AmqpMethod =');
  methods.forEach((m, i) => L.push(`  | ${m.cls}${i === methods.length - 1 ? ';' : ''}`));
  L.push('');
  L.push('const NAMES: { readonly [id: number]: string } = {');
  for (const m of methods) L.push(`  ${hex(m.id)}: '${m.full}',`);
  L.push('};', '');
  L.push('export type AmqpFieldType =');
  L.push("  'octet' | 'short' | 'long' | 'longlong' | 'timestamp' | 'bit' | 'shortstr' | 'longstr' | 'table';");
  L.push('export type MethodFieldInfo = readonly [name: string, type: AmqpFieldType, reserved: boolean];', '');
  L.push("/** Each method's fields in wire order (for tools and tests; the codec itself does not use this). */");
  L.push('export const MethodFields: { readonly [id: number]: readonly MethodFieldInfo[] } = {');
  for (const m of methods) {
    const items = m.fields.map((f) => `['${f.name}', '${f.type}', ${f.reserved}]`);
    const one = `  ${hex(m.id)}: [${items.join(', ')}],`;
    // one line for at most one field, as prettier lays out arrays of arrays
    if (items.length <= 1 && one.length <= 120) L.push(one);
    else L.push(`  ${hex(m.id)}: [`, ...items.map((x) => `    ${x},`), '  ],');
  }
  L.push('};', '');
  L.push("/** The spec's name of a method, e.g. 'basic.publish'. */");
  L.push('export function methodName(id: number): string {');
  L.push('  return NAMES[id] ?? `unknown method {${id >>> 16},${id & 0xffff}}`;', '}', '');
  L.push('/** Whether content frames follow the method (basic.publish, basic.return, basic.deliver, basic.get-ok). */');
  L.push('export function methodHasContent(id: number): boolean {');
  L.push(
    `  return ${methods
      .filter((m) => m.content)
      .map((m) => `id === ${hex(m.id)}`)
      .join(' || ')};`,
    '}',
    '',
  );
  L.push('/** Decodes a method frame payload: class-id, method-id, arguments. Throws CodecError. */');
  L.push('export function decodeMethod(payload: Buffer): AmqpMethod {');
  L.push('  const e = payload.length;', '  if (e < 4) shortMethod(payload);', '  switch (rd32(payload, 0)) {');
  const order = [...HOT.map((n) => methods.find((m) => m.full === n)), ...methods.filter((m) => !HOT.includes(m.full))];
  for (const m of order) L.push(`    case ${hex(m.id)}:`, `      return d${m.cls}(payload, e);`);
  L.push('    default:', '      return unknownMethod(rd32(payload, 0));', '  }', '}', '');
  for (const m of methods) L.push(emitDecoder(m), '');
  for (const m of methods) L.push(emitWriter(m), '');
  L.push('/** Writes any method as a complete frame (reserved fields zero/empty). */');
  L.push('export function encodeMethod(w: Writer, channel: number, m: AmqpMethod): void {', '  switch (m.id) {');
  for (const m of methods) {
    const args = m.fields.filter((f) => !f.reserved).map((f) => `m.${f.name}`);
    const call = `      return write${m.cls}(${['w', 'channel', ...args].join(', ')});`;
    L.push(`    case ${hex(m.id)}:`);
    if (call.length <= 120) L.push(call);
    else L.push(`      return write${m.cls}(`, ...['w', 'channel', ...args].map((a) => `        ${a},`), '      );');
  }
  L.push('  }', '}', '');
  return L.join('\n');
}

// ---- main ------------------------------------------------------------------------------------------------

const methods = model(withExtensions(parseXml(readFileSync(join(ROOT, SPEC), 'utf8'))));
const text = generate(methods);
const outPath = join(ROOT, OUT);
const current = existsSync(outPath) ? readFileSync(outPath, 'utf8') : null;
if (process.argv.includes('--check')) {
  if (current !== text) {
    console.error(`${OUT} is out of date with ${SPEC} or scripts/gen-amqp.mjs: run npm run gen`);
    process.exit(1);
  }
  console.log(`${OUT} is up to date (${methods.length} methods)`);
} else {
  if (current !== text) writeFileSync(outPath, text);
  console.log(`${current === text ? 'unchanged' : 'wrote'} ${OUT} (${methods.length} methods)`);
}
