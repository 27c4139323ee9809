// An encoded AMQP 1.0 message (part 3, §3.2) read lazily: scanMessage finds where each section starts and ends
// by stepping over size fields (skipValue), decoding nothing; Amqp10Message decodes a section only when asked
// (properties, application-properties: what a broker needs for routing and filtering) and caches it. The raw
// bytes stay untouched, so a stream hands a client exactly the bytes its publisher sent.
import { Amqp10Decoder, skipValue } from './decoder.js';
import { SECTION, SECTION_SYMBOLS, headerFromList, propertiesFromList } from './sections.js';
import type { MessageHeader, MessageProperties } from './sections.js';
import { Amqp10Error, type Amqp10Value } from './types.js';

/** [start, end) of a section (descriptor included) and of its value (the described value's body). */
export interface SectionSpan {
  code: number;
  start: number;
  valueStart: number;
  end: number;
}

export interface MessageLayout {
  header?: SectionSpan;
  deliveryAnnotations?: SectionSpan;
  messageAnnotations?: SectionSpan;
  properties?: SectionSpan;
  applicationProperties?: SectionSpan;
  /** data, amqp-sequence and amqp-value sections in order. */
  body: SectionSpan[];
  footer?: SectionSpan;
  /** Where the bare message's body starts (the first body section, or the footer / end when there is none). */
  bodyStart: number;
}

/** The section descriptor code at buf[p] (numeric or symbolic, §3.2) and where its value starts. */
function descriptorAt(buf: Buffer, p: number, end: number): [number, number] {
  if (buf[p] !== 0x00) throw new Amqp10Error('AMQP 1.0 message section is not a described value');
  const c = buf[p + 1];
  if (c === 0x53 && p + 3 <= end) return [buf[p + 2]!, p + 3];
  if (c === 0x44) return [0, p + 2]; // ulong0: not a section
  const d = new Amqp10Decoder(buf, p + 1, end);
  const v = d.read();
  let code = -1;
  if (v.type === 'ulong') code = Number(v.value);
  else if (v.type === 'symbol') code = SECTION_SYMBOLS[v.value] ?? -1;
  return [code, d.pos];
}

/** Section boundaries of the message in buf[start, end). Throws Amqp10Error when the sections are malformed. */
export function scanMessage(buf: Buffer, start = 0, end = buf.length): MessageLayout {
  const layout: MessageLayout = { body: [], bodyStart: -1 };
  let p = start;
  while (p < end) {
    const [code, valueStart] = descriptorAt(buf, p, end);
    const next = skipValue(buf, valueStart, end);
    const span: SectionSpan = { code, start: p, valueStart, end: next };
    switch (code) {
      case SECTION.HEADER:
        layout.header = span;
        break;
      case SECTION.DELIVERY_ANNOTATIONS:
        layout.deliveryAnnotations = span;
        break;
      case SECTION.MESSAGE_ANNOTATIONS:
        layout.messageAnnotations = span;
        break;
      case SECTION.PROPERTIES:
        layout.properties = span;
        break;
      case SECTION.APPLICATION_PROPERTIES:
        layout.applicationProperties = span;
        break;
      case SECTION.DATA:
      case SECTION.AMQP_SEQUENCE:
      case SECTION.AMQP_VALUE:
        if (layout.bodyStart < 0) layout.bodyStart = p;
        layout.body.push(span);
        break;
      case SECTION.FOOTER:
        layout.footer = span;
        break;
      default:
        throw new Amqp10Error(`unknown AMQP 1.0 message section descriptor ${code}`);
    }
    p = next;
  }
  if (layout.bodyStart < 0) layout.bodyStart = layout.footer?.start ?? end;
  return layout;
}

const EMPTY: Array<[Amqp10Value, Amqp10Value]> = [];

/** A message over its encoded bytes; sections decoded on first use. `raw` is never modified. */
export class Amqp10Message {
  readonly layout: MessageLayout;
  private props: MessageProperties | undefined | null = null;
  private appProps: Array<[Amqp10Value, Amqp10Value]> | null = null;

  constructor(
    readonly raw: Buffer,
    layout?: MessageLayout,
  ) {
    this.layout = layout ?? scanMessage(raw);
  }

  private value(span: SectionSpan): Amqp10Value {
    const d = new Amqp10Decoder(this.raw, span.valueStart, span.end);
    return d.read();
  }

  private mapOf(span: SectionSpan | undefined): Array<[Amqp10Value, Amqp10Value]> {
    if (span === undefined) return EMPTY;
    const v = this.value(span);
    if (v.type === 'null') return EMPTY;
    if (v.type !== 'map') throw new Amqp10Error('AMQP 1.0 map section is not a map');
    return v.value;
  }

  get header(): MessageHeader | undefined {
    const s = this.layout.header;
    return s === undefined ? undefined : headerFromList(this.value(s));
  }

  get properties(): MessageProperties | undefined {
    if (this.props === null) {
      const s = this.layout.properties;
      this.props = s === undefined ? undefined : propertiesFromList(this.value(s));
    }
    return this.props;
  }

  /** application-properties entries (§3.2.5: string keys, simple values), [] when absent. */
  get applicationProperties(): Array<[Amqp10Value, Amqp10Value]> {
    return (this.appProps ??= this.mapOf(this.layout.applicationProperties));
  }

  get messageAnnotations(): Array<[Amqp10Value, Amqp10Value]> {
    return this.mapOf(this.layout.messageAnnotations);
  }

  get deliveryAnnotations(): Array<[Amqp10Value, Amqp10Value]> {
    return this.mapOf(this.layout.deliveryAnnotations);
  }

  get footer(): Array<[Amqp10Value, Amqp10Value]> {
    return this.mapOf(this.layout.footer);
  }

  /** True when the body is data sections only (or absent). */
  get isDataBody(): boolean {
    for (const s of this.layout.body) if (s.code !== SECTION.DATA) return false;
    return true;
  }

  /** The data sections' bytes: a view for one section, a concatenation for several. */
  get data(): Buffer {
    const parts: Buffer[] = [];
    for (const s of this.layout.body) {
      if (s.code !== SECTION.DATA) continue;
      const v = this.value(s);
      if (v.type !== 'binary') throw new Amqp10Error('AMQP 1.0 data section is not binary');
      parts.push(v.value);
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** The body sections (and the footer) as encoded: raw[bodyStart, end). */
  get rawBody(): Buffer {
    return this.raw.subarray(this.layout.bodyStart);
  }

  /** amqp-value's value, or undefined. */
  get amqpValue(): Amqp10Value | undefined {
    const s = this.layout.body.find((b) => b.code === SECTION.AMQP_VALUE);
    return s === undefined ? undefined : this.value(s);
  }

  /** The amqp-sequence sections' lists. */
  get sequence(): Amqp10Value[][] {
    const out: Amqp10Value[][] = [];
    for (const s of this.layout.body) {
      if (s.code !== SECTION.AMQP_SEQUENCE) continue;
      const v = this.value(s);
      if (v.type !== 'list') throw new Amqp10Error('AMQP 1.0 amqp-sequence section is not a list');
      out.push(v.value);
    }
    return out;
  }
}
