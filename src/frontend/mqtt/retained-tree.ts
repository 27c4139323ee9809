// The retained messages of one vhost as a topic tree (a trie keyed by topic level), so that a wildcard
// subscription walks only the branches its filter can match instead of testing every retained topic (the MQTT
// fuzz run keeps ~10,000 of them, and many of its subscriptions have wildcards). Levels are split at `/` only, and
// an empty level is a level like any other (MQTT 3.1.1 §4.7.3: adjacent separators make a zero-length level, and a
// leading or trailing `/` a distinct topic). Generic over the message so that it does not import retained.ts,
// which holds one tree per vhost.

class TreeNode<M> {
  /** Created with the first child, dropped with the last (a leaf's is null). */
  children: Map<string, TreeNode<M>> | null = null;
  msg: M | null = null;

  constructor(
    readonly parent: TreeNode<M> | null,
    readonly level: string,
  ) {}
}

export class RetainedTree<M extends { readonly topic: string }> {
  private readonly root = new TreeNode<M>(null, '');
  /** Topic → its node (which holds a message): an exact lookup and a delete are one Map lookup. */
  private readonly byTopic = new Map<string, TreeNode<M>>();

  get size(): number {
    return this.byTopic.size;
  }

  get(topic: string): M | undefined {
    return this.byTopic.get(topic)?.msg ?? undefined;
  }

  /** Every message, first stored first (a topic stored again keeps its place). */
  *values(): IterableIterator<M> {
    for (const n of this.byTopic.values()) yield n.msg!;
  }

  set(m: M): void {
    const n = this.byTopic.get(m.topic);
    if (n !== undefined) {
      n.msg = m;
      return;
    }
    let at = this.root;
    for (const level of m.topic.split('/')) {
      let c: TreeNode<M> | undefined = at.children?.get(level);
      if (c === undefined) (at.children ??= new Map()).set(level, (c = new TreeNode(at, level)));
      at = c;
    }
    at.msg = m;
    this.byTopic.set(m.topic, at);
  }

  /** Drops the message and the nodes left with neither message nor children, so topics that come and go leave nothing. */
  delete(topic: string): void {
    let n = this.byTopic.get(topic);
    if (n === undefined) return;
    this.byTopic.delete(topic);
    n.msg = null;
    while (n.parent !== null && n.msg === null && n.children === null) {
      const p: TreeNode<M> = n.parent;
      p.children!.delete(n.level);
      if (p.children!.size === 0) p.children = null;
      n = p;
    }
  }

  /**
   * The messages whose topics `filter` (a valid topic filter) matches, walked a bounded step at a time. `#` alone
   * (every topic but those starting with `$`: what MQTT explorers subscribe to) walks the topics' Map, not the
   * tree: every node of the tree would be visited, ~10x the work of a Map's entries.
   */
  match(filter: string): RetainedMatches<M> {
    return new RetainedMatches(this.root, filter, filter === '#' ? this.byTopic.values() : null);
  }
}

/** A frame's children are below a `#`: every one matches. */
const ALL = -1;

interface Frame<M> {
  readonly children: Iterator<TreeNode<M>>;
  /** The filter level the children are matched against, or ALL. */
  readonly at: number;
  /** The root's children under a leading wildcard: those starting with `$` are skipped (§4.7.2). */
  readonly top: boolean;
}

/**
 * A walk of the branches a filter can match, depth first over an explicit stack (no recursion, no generator per
 * node), that stops after a number of nodes visited so that the caller can spread it over event-loop turns.
 * `+` matches one level (§4.7.1.3); `#` the rest, including the parent level: `a/#` matches `a` (§4.7.1.2); a
 * filter starting with a wildcard does not match a topic starting with `$` (§4.7.2, [MQTT-4.7.2-1]).
 * The tree may change between steps (Map iterators are live): a message stored or cleared meanwhile may or may
 * not be seen, as with the plain walk over every topic this replaces.
 */
export class RetainedMatches<M extends { readonly topic: string }> {
  private readonly levels: string[];
  private readonly stack: Frame<M>[] = [];
  private start: TreeNode<M> | null;
  /** Nodes visited so far: the measure of the walk's work. */
  visited = 0;

  constructor(
    root: TreeNode<M>,
    filter: string,
    /** Every topic's node, for `#` alone (RetainedTree.match). */
    private flat: Iterator<TreeNode<M>> | null = null,
  ) {
    this.levels = filter.split('/');
    this.start = flat === null ? root : null;
  }

  /** Whether the walk is over. */
  get done(): boolean {
    return this.start === null && this.stack.length === 0 && this.flat === null;
  }

  /**
   * The next matching message, or undefined when the walk is over (`done`) or has visited `until` nodes in all
   * (call again to go on). One call visits at most `until - visited` nodes plus one filter's worth of levels.
   */
  next(until: number): M | undefined {
    if (this.flat !== null) return this.nextFlat(until);
    if (this.start !== null) {
      const root = this.start;
      this.start = null;
      this.visited++;
      const m = this.visit(root, 0);
      if (m !== null) return m;
    }
    while (this.visited < until) {
      const f = this.stack[this.stack.length - 1];
      if (f === undefined) return undefined;
      const r = f.children.next();
      if (r.done === true) {
        this.stack.pop();
        continue;
      }
      this.visited++;
      if (f.top && r.value.level.charCodeAt(0) === 0x24 /* $ */) continue;
      const m = this.visit(r.value, f.at);
      if (m !== null) return m;
    }
    return undefined;
  }

  /** `#` alone: every topic that does not start with `$` (§4.7.2), in the order they were first stored. */
  private nextFlat(until: number): M | undefined {
    const it = this.flat!;
    while (this.visited < until) {
      const r = it.next();
      if (r.done === true) {
        this.flat = null;
        return undefined;
      }
      this.visited++;
      const m = r.value.msg;
      if (m !== null && m.topic.charCodeAt(0) !== 0x24 /* $ */) return m;
    }
    return undefined;
  }

  /** Node `n` matched the filter's levels before `at`: its message if it matches, its children to the stack. */
  private visit(n: TreeNode<M>, at: number): M | null {
    const levels = this.levels;
    for (;;) {
      if (at === ALL) {
        this.push(n, ALL, false);
        return n.msg;
      }
      if (at === levels.length) return n.msg;
      const l = levels[at]!;
      if (l === '#') {
        this.push(n, ALL, at === 0);
        return n.msg; // the parent level (the root, for a filter `#`, holds none)
      }
      if (l === '+') {
        this.push(n, at + 1, at === 0);
        return null;
      }
      // a literal level: one child, followed at once
      const c = n.children?.get(l);
      if (c === undefined) return null;
      this.visited++;
      n = c;
      at++;
    }
  }

  private push(n: TreeNode<M>, at: number, top: boolean): void {
    if (n.children !== null) this.stack.push({ children: n.children.values(), at, top });
  }
}
