// The soak's probe connection, apart from the traffic: every 100 ms
// - publish→confirm: one persistent message to the durable queue soak.probe (kept empty by an auto-ack
//   consumer) and the time until its confirm;
// - event-loop lag: a queue.declare passive on an idle channel. It needs no disk and no routing, so its
//   round trip is the time the broker's event loop took to get to the frame (plus loopback TCP): Warren
//   exports no event-loop metric, and this is what a client feels of it.
// take() returns each one's p99 over the samples since the last take().
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { amqpConnect, declare } from './workers.mjs';

const p99 = (a) => {
  if (a.length === 0) return null;
  const s = [...a].sort((x, y) => x - y);
  return Number(s[Math.min(s.length - 1, Math.floor(s.length * 0.99))].toFixed(2));
};

export function startProbes(ctx) {
  let lag = [];
  let confirm = [];
  let stopped = false;
  const body = Buffer.alloc(64, 'p');
  const loop = (async () => {
    while (!stopped) {
      try {
        const { c, closed } = await amqpConnect(ctx);
        try {
          const pub = await c.createConfirmChannel();
          pub.on('error', () => {});
          await declare(pub);
          const idle = await c.createChannel();
          idle.on('error', () => {});
          const drain = await c.createChannel();
          drain.on('error', () => {});
          await drain.consume('soak.probe', () => {}, { noAck: true });
          let gone = false;
          void closed.then(() => (gone = true));
          while (!stopped && !gone) {
            const t = performance.now();
            await idle.checkQueue('soak.probe');
            lag.push(performance.now() - t);
            const t2 = performance.now();
            await new Promise((resolve, reject) =>
              pub.sendToQueue('soak.probe', body, { persistent: true }, (err) => (err ? reject(err) : resolve())),
            );
            confirm.push(performance.now() - t2);
            await sleep(100);
          }
          if (!gone) await c.close().catch(() => {});
        } finally {
          c.connection?.stream?.destroy();
        }
      } catch {
        await sleep(300); // the broker is restarting
      }
    }
  })();
  return {
    take() {
      const r = { lagP99: p99(lag), lagN: lag.length, confirmP99: p99(confirm), confirmN: confirm.length };
      lag = [];
      confirm = [];
      return r;
    },
    stop() {
      stopped = true;
      return loop;
    },
  };
}
