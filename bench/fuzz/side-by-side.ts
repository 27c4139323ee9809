// The comparison scripts' table (compare-amqp.ts, compare-stream.ts): each case's outcome on Warren and on
// RabbitMQ in a row, marked ≠ where they differ, then how many are the same and what the broker logged.
import type { BrokerFailure } from '../../test/fuzz/lib/harness.js';

/** Row i is case names[i]; `pad` is the width of the name column and of Warren's. */
export function printSideBySide(
  names: string[],
  warren: string[],
  rabbit: string[],
  pad: [number, number],
  failures: BrokerFailure[],
): void {
  let same = 0;
  for (let i = 0; i < names.length; i++) {
    const eq = warren[i] === rabbit[i];
    if (eq) same++;
    console.log(
      `${eq ? '  ' : '≠ '}${names[i]!.padEnd(pad[0])} warren: ${warren[i]!.padEnd(pad[1])} rabbitmq: ${rabbit[i]}`,
    );
  }
  console.log(`${same}/${names.length} the same`);
  if (failures.length)
    console.log(
      'broker errors:',
      failures.map((f) => f.line.slice(0, 300)),
    );
}
