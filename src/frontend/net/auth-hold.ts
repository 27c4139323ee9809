// AuthHold: MQTT packets or STOMP frames held while an auth backend answers later (core/auth/authz.ts
// AuthzPending; a login through the HTTP backend). The item that waits is handled again once the answer is
// in, then the ones that arrived meanwhile, in order; the socket is not read while anything is held.
// AMQP has its own (the decoder keeps the rest of the read: amqp/connection.ts replayWhenAnswered).
import type { AuthzPending } from '../../core/auth/authz.js';

export class AuthHold<T> {
  private held: T[] | null = null;

  constructor(
    /** Handles one item (the front end's packet handler, which may call wait again). */
    private readonly handle: (item: T) => void,
    /** Stop or restart reading (ReadGate.authWait). */
    private readonly reading: (on: boolean) => void,
  ) {}

  /** Something is held (the caller copies an item that is a view before queueing it). */
  get holding(): boolean {
    return this.held !== null;
  }

  /** Hold `item` if something is waiting (the caller then does nothing more with it). */
  queue(item: T): boolean {
    if (this.held === null) return false;
    this.held.push(item);
    return true;
  }

  /** Handling `item` needs an answer not known yet: hold it (and what follows) until it is in. */
  wait(e: AuthzPending, item: T): void {
    this.held = [item];
    this.reading(false);
    void e.answered
      .catch(() => undefined)
      .then(() => {
        const items = this.held ?? [];
        this.held = null;
        for (let i = 0; i < items.length; i++) {
          this.handle(items[i]!);
          if (this.held !== null) {
            // waiting again: the rest stays held behind it
            (this.held as T[]).push(...items.slice(i + 1));
            return;
          }
        }
        this.reading(true);
      });
  }
}
