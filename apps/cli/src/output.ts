/** Where a command writes: a human text on stdout, or with --json one JSON object and nothing else. */
export interface Output {
  readonly json: boolean;
  /** Human-readable line (stdout; suppressed under --json). */
  line(text?: string): void;
  /** Progress and notes: stderr, so stdout stays clean. */
  note(text: string): void;
  /** The result: JSON under --json, else the text. */
  result(value: unknown, text?: string): void;
  readonly isTTY: boolean;
}

export function makeOutput(json: boolean, stdout: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout, stderr: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr): Output {
  return {
    json,
    isTTY: !!stderr.isTTY,
    line: (text = '') => void (json || stdout.write(`${text}\n`)),
    note: (text) => void stderr.write(`${text}\n`),
    result: (value, text) => void (json ? stdout.write(`${JSON.stringify(value, null, 2)}\n`) : text !== undefined && stdout.write(`${text}\n`)),
  };
}

/** Pads a table of strings into aligned columns. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')).join('\n');
}
