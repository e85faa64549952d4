// What the CLI prints: aligned tables for people, JSON for scripts, and progress on stderr.

/** One column of a table: its heading and how to read a row's cell. */
export interface Column<T> {
  readonly heading: string;
  readonly value: (row: T) => string | number | boolean | null | undefined;
  /** Longest cell shown; longer ones end in "…". */
  readonly max?: number;
}

const cell = (value: string | number | boolean | null | undefined) =>
  value === null || value === undefined || value === '' ? '-' : String(value).replace(/\s+/g, ' ');

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** Rows as a table with one header line, columns padded to their widest cell. */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((row) => columns.map((c) => clip(cell(c.value(row)), c.max ?? 80)));
  const widths = columns.map((c, i) => Math.max(c.heading.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.heading)), ...cells.map(line)].join('\n') + '\n';
}

/** `key  value` lines, for one record. */
export function fields(entries: readonly [string, string | number | boolean | null | undefined][]): string {
  const width = Math.max(...entries.map(([k]) => k.length));
  return entries.map(([k, v]) => `${k.padEnd(width)}  ${cell(v)}`).join('\n') + '\n';
}

/** An ISO time as `2026-05-01 12:34:56Z`: short and sortable. */
export const time = (iso: string | null | undefined) =>
  iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : null;

/** Writes `value` as indented JSON: the API's own answer, for scripts. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Either JSON or the text that `human` renders. */
export function print(json: boolean, value: unknown, human: () => string): void {
  if (json) printJson(value);
  else process.stdout.write(human());
}

/** Reports progress on stderr: one rewritten line on a terminal, a line per change otherwise. */
export class Progress {
  #last = '';
  readonly #tty = process.stderr.isTTY === true;

  update(text: string): void {
    if (text === this.#last) return;
    this.#last = text;
    process.stderr.write(this.#tty ? `\r\u001b[2K${text}` : `${text}\n`);
  }

  done(): void {
    if (this.#tty && this.#last) process.stderr.write('\n');
  }
}
