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

/**
 * Standard streams that cannot be written (a full disk, a closed pipe) end the process with one line and
 * exit 1, instead of an unhandled 'error' event and its stack trace; a reader that stopped early (`| head`)
 * is not a failure.
 */
export function handleStreamErrors(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    process.stderr.write(`medxfer: cannot write the output: ${error.code === 'ENOSPC' ? 'the disk is full' : error.message}\n`);
    process.exit(1);
  });
  process.stderr.on('error', () => process.exit(1));
}

/** Pads a table of strings into aligned columns. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')).join('\n');
}
