// The AMQP 0-9-1 grammar the generator draws from, read from the same spec XML the codec is generated from
// (spec-data/amqp0-9-1.stripped.extended.xml): every class, method, field and its wire type, and the basic
// properties. Read independently of src/codec so the fuzzer does not share the codec's mistakes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../helpers/paths.js';

export type WireType = 'bit' | 'octet' | 'short' | 'long' | 'longlong' | 'shortstr' | 'longstr' | 'timestamp' | 'table';

export interface SpecField {
  name: string;
  type: WireType;
}

export interface SpecMethod {
  name: string;
  classId: number;
  methodId: number;
  fields: SpecField[];
  /** The server implements it (a client may send it). */
  server: boolean;
  content: boolean;
}

export interface Spec {
  methods: SpecMethod[];
  /** Server-side methods only: what a client sends. */
  serverMethods: SpecMethod[];
  byName: Map<string, SpecMethod>;
  /** basic's property list in flag order. */
  basicProperties: SpecField[];
}

let cached: Spec | null = null;

export function amqpSpec(): Spec {
  if (cached) return cached;
  const xml = readFileSync(join(REPO_ROOT, 'spec-data/amqp0-9-1.stripped.extended.xml'), 'utf8');
  const domains = new Map<string, WireType>();
  for (const m of xml.matchAll(/<domain name="([^"]+)" type="([^"]+)"/g)) domains.set(m[1]!, m[2] as WireType);
  const fieldType = (attrs: string): WireType => {
    const t = /type="([^"]+)"/.exec(attrs);
    if (t) return t[1] as WireType;
    const d = /domain="([^"]+)"/.exec(attrs)![1]!;
    return domains.get(d)!;
  };
  const methods: SpecMethod[] = [];
  let basicProperties: SpecField[] = [];
  for (const c of xml.matchAll(/<class name="([^"]+)"[^>]*index="(\d+)"[^>]*>([\s\S]*?)<\/class>/g)) {
    const className = c[1]!;
    const classId = Number(c[2]);
    const body = c[3]!;
    const firstMethod = body.indexOf('<method');
    const classPart = firstMethod < 0 ? body : body.slice(0, firstMethod);
    const props = [...classPart.matchAll(/<field name="([^"]+)"([^>]*)>/g)].map((f) => ({
      name: f[1]!,
      type: fieldType(f[2]!),
    }));
    if (className === 'basic') basicProperties = props;
    for (const m of body.matchAll(/<method name="([^"]+)"([^>]*)>([\s\S]*?)<\/method>/g)) {
      const attrs = m[2]!;
      const mb = m[3]!;
      methods.push({
        name: `${className}.${m[1]}`,
        classId,
        methodId: Number(/index="(\d+)"/.exec(attrs)![1]),
        fields: [...mb.matchAll(/<field name="([^"]+)"([^>]*?)\/?>/g)].map((f) => ({
          name: f[1]!,
          type: fieldType(f[2]!),
        })),
        server: /<chassis name="server"/.test(mb),
        content: /content="1"/.test(attrs),
      });
    }
  }
  cached = {
    methods,
    serverMethods: methods.filter((m) => m.server),
    byName: new Map(methods.map((m) => [m.name, m])),
    basicProperties,
  };
  return cached;
}
