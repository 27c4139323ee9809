// rabbitmqctl's PrettyTable formatter (RabbitMQ.CLI.Formatters.PrettyTable), the default of the stream plugin's
// list commands: a box drawn with the terminal's line-drawing character set (DEC special graphics: ESC ( 0
// switches to it, ESC ( B back; l k m j are the corners, q and x the lines, t u w v n the joints), bold
// headers, a rule between rows. Written exactly as RabbitMQ 3.10 writes it, escapes included, piped or not.

const LINES = '\x1b(0';
const ASCII = '\x1b(B';
const BOLD = '\x1b[1m';
const PLAIN = '\x1b[0m';

/** The length a terminal shows (code points). */
const shown = (s: string): number => [...s].length;

/** The table of `rows` (cells already rendered as text) under `header` (none when `header` is null). */
export function prettyTable(header: string[] | null, rows: string[][]): string {
  const cols = (header ?? rows[0] ?? []).length;
  const widths: number[] = [];
  for (let i = 0; i < cols; i++) {
    let w = header === null ? 0 : shown(header[i]!);
    for (const r of rows) w = Math.max(w, shown(r[i] ?? ''));
    widths.push(w);
  }
  const rule = (left: string, joint: string, right: string): string =>
    LINES + left + widths.map((w) => 'q'.repeat(w + 2)).join(joint) + right + ASCII + '\n';
  const line = (cells: string[], bold: boolean): string => {
    let out = '';
    cells.forEach((c, i) => {
      const text = bold ? BOLD + c + PLAIN : c;
      out += `${LINES}x${ASCII} ${text}${' '.repeat(widths[i]! - shown(c))} `;
    });
    return out + `${LINES}x${ASCII}\n`;
  };
  const lines = [rule('l', 'w', 'k')];
  if (header !== null) lines.push(line(header, true));
  rows.forEach((r, i) => {
    if (header !== null || i > 0) lines.push(rule('t', 'n', 'u'));
    lines.push(line(r, false));
  });
  lines.push(rule('m', 'v', 'j'));
  return lines.join('');
}
