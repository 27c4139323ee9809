// Content formats by name, so stored messages (delayed messages today, the message store later) can be
// rebuilt with the format that created them. Each front end registers its format when loaded.
import type { ContentFormat } from './message.js';

const formats = new Map<string, ContentFormat>();

export function registerFormat(f: ContentFormat): void {
  formats.set(f.name, f);
}

export function formatByName(name: string): ContentFormat | undefined {
  return formats.get(name);
}
