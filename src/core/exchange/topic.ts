// Topic exchange: binding keys are dot-separated words where `*` matches one word and `#` zero or more.
// Routing walks a word trie (no scan of every binding) and caches the result per routing key, the cache
// dropped on any bind/unbind (nats sublist.go keeps the same kind of cache). A miss walks straight into the
// caller's array (the vhost drops duplicates with its generation marks) and caches a deduplicated copy
// (a linear scan, no Set for the usual few destinations): with more distinct keys than the cache holds
// (device ids in the key, MQTT topics), every publish is a miss, so the miss path must stay cheap.
import type { Message } from '../message.js';
import { DestinationCounts, Exchange, type Binding, type Destination } from './exchange.js';

class TrieNode {
  readonly children = new Map<string, TrieNode>();
  star: TrieNode | null = null;
  hash: TrieNode | null = null;
  dests: DestinationCounts | null = null;

  isEmpty(): boolean {
    return this.children.size === 0 && this.star === null && this.hash === null && this.dests === null;
  }
}

const CACHE_MAX = 1024;

/** RabbitMQ splits "" into no words and "a..b" into ["a", "", "b"]. */
export function splitWords(key: string): string[] {
  return key === '' ? [] : key.split('.');
}

export class TopicExchange extends Exchange {
  readonly type = 'topic';
  private readonly root = new TrieNode();
  private readonly cache = new Map<string, Destination[]>();

  route(msg: Message, out: Destination[]): void {
    this.routeKey(msg.routingKey, out);
  }

  override routeKey(key: string, out: Destination[]): void {
    const hit = this.cache.get(key);
    if (hit !== undefined) {
      for (let i = 0; i < hit.length; i++) out.push(hit[i]!);
      return;
    }
    const base = out.length;
    walk(this.root, splitWords(key), 0, out);
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(key, distinct(out, base));
  }

  protected addToIndex(b: Binding): void {
    this.cache.clear();
    let node = this.root;
    for (const w of splitWords(b.routingKey)) {
      if (w === '*') node = node.star ??= new TrieNode();
      else if (w === '#') node = node.hash ??= new TrieNode();
      else {
        let next = node.children.get(w);
        if (!next) node.children.set(w, (next = new TrieNode()));
        node = next;
      }
    }
    (node.dests ??= new DestinationCounts()).add(b.destination);
  }

  protected removeFromIndex(b: Binding): void {
    this.cache.clear();
    const words = splitWords(b.routingKey);
    const path: TrieNode[] = [this.root];
    let node: TrieNode | null = this.root;
    for (const w of words) {
      node = w === '*' ? node.star : w === '#' ? node.hash : (node.children.get(w) ?? null);
      if (!node) return;
      path.push(node);
    }
    if (node.dests && node.dests.remove(b.destination)) node.dests = null;
    // prune empty nodes bottom-up so the trie does not grow with churn
    for (let i = words.length; i > 0; i--) {
      const n = path[i]!;
      if (!n.isEmpty()) break;
      const parent = path[i - 1]!;
      const w = words[i - 1]!;
      if (w === '*') parent.star = null;
      else if (w === '#') parent.hash = null;
      else parent.children.delete(w);
    }
  }
}

/** out[base..] without duplicates, as a new array (a linear scan for the usual few, a Set past 32). */
function distinct(out: Destination[], base: number): Destination[] {
  const n = out.length - base;
  if (n > 32) return [...new Set(out.slice(base))];
  const r: Destination[] = [];
  for (let i = base; i < out.length; i++) {
    const d = out[i]!;
    if (!r.includes(d)) r.push(d);
  }
  return r;
}

/** Appends the destinations of every binding matching words[i..] below `node` (duplicates possible). */
function walk(node: TrieNode, words: string[], i: number, out: Destination[]): void {
  const h = node.hash;
  if (h !== null) {
    // '#' consumes zero or more words; a trailing '#' (nothing below it) matches whatever is left at once
    if (h.children.size === 0 && h.star === null && h.hash === null) h.dests?.appendTo(out);
    else for (let j = i; j <= words.length; j++) walk(h, words, j, out);
  }
  if (i === words.length) {
    if (node.dests !== null) node.dests.appendTo(out);
    return;
  }
  const child = node.children.get(words[i]!);
  if (child !== undefined) walk(child, words, i + 1, out);
  if (node.star !== null) walk(node.star, words, i + 1, out);
}
