// A 0-9-1 stream consumer's filter (https://www.rabbitmq.com/docs/stream-filtering), read from basic.consume's
// arguments as rabbit_stream_queue:filter_spec/1 reads them: x-stream-filter is a string, or an array whose
// string elements count (others are ignored); x-stream-match-unfiltered counts only when it is a bool and a
// filter is given (false otherwise). Without x-stream-filter there is no filter at all.
import type { StreamFilter } from '../../core/queue/stream/backing.js';

function str(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return null;
}

export function parseStreamFilter(args: Record<string, unknown>): StreamFilter | null {
  const f = args['x-stream-filter'];
  let values: string[];
  if (Array.isArray(f)) {
    values = [];
    for (const v of f) {
      const s = str(v);
      if (s !== null) values.push(s);
    }
  } else {
    const s = str(f);
    if (s === null) return null;
    values = [s];
  }
  const mu = args['x-stream-match-unfiltered'];
  return { values, matchUnfiltered: mu === true };
}
