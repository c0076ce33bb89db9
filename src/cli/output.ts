import { InvalidArgumentError } from 'commander';
import type { StepEvent } from '../pipelines/index.js';

/** Plain, aligned text tables for human output. */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function fmtNumber(value: number | undefined | null, digits = 4): string {
  if (value === undefined || value === null || !Number.isFinite(value)) return '–';
  return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(digits);
}

/**
 * Progress for pipeline steps on stderr: a live line per step on a terminal, one line per
 * finished step otherwise (CI logs, pipes).
 */
export function stepProgress(stream: NodeJS.WriteStream = process.stderr): (event: StepEvent) => void {
  const live = stream.isTTY === true;
  let total = 0;
  let index = 0;
  const label = (step: string) => `[${String(index + 1).padStart(String(total).length)}/${total}] ${step.padEnd(9)}`;
  return (event) => {
    switch (event.type) {
      case 'start':
        total = event.total;
        index = event.index;
        if (live) stream.write(`  … ${label(event.step)}`);
        break;
      case 'cached':
        finish(`  = ${label(event.step)} cached   ${event.summary}`);
        break;
      case 'done':
        finish(`  ✓ ${label(event.step)} ${`${event.seconds.toFixed(1)}s`.padStart(6)}   ${event.summary}`);
        break;
      case 'failed':
        finish(`  ✗ ${label(event.step)} failed`);
        break;
    }
  };
  function finish(text: string) {
    stream.write(live ? `\r\x1b[2K${text}\n` : `${text}\n`);
  }
}

/** Option parsers for commander: a bad value is a usage error naming the option. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`must be a positive whole number, got "${value}"`);
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`must be a whole number ≥ 0, got "${value}"`);
  return n;
}

/**
 * Progress of work over rows on stderr: on a terminal one live line (a bar, rows done / total,
 * rows per second), redrawn at most ten times a second; otherwise (CI logs, pipes) one line per
 * tenth of the work.
 */
export function rowProgress(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
): { update(rows: number, total: number): void; finish(): void } {
  const live = stream.isTTY === true;
  const started = performance.now();
  let drawnAt = -Infinity;
  let tenth = 0;
  let last = '';
  const line = (rows: number, total: number) => {
    const share = total > 0 ? Math.min(1, rows / total) : 1;
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? Math.round(rows / seconds) : 0;
    const bar = '█'.repeat(Math.round(share * 20)).padEnd(20, '░');
    return `  ${label} ${live ? `${bar} ` : ''}${String(Math.floor(share * 100)).padStart(3)}%  ${rows.toLocaleString('en-US')}/${total.toLocaleString('en-US')} rows  ${rate.toLocaleString('en-US')} rows/s`;
  };
  return {
    update(rows, total) {
      if (live) {
        const now = performance.now();
        if (now - drawnAt < 100 && rows < total) return;
        drawnAt = now;
        last = line(rows, total);
        stream.write(`\r\x1b[2K${last}`);
      } else if (total > 0 && rows > 0 && Math.floor((rows / total) * 10) > tenth) {
        tenth = Math.floor((rows / total) * 10);
        stream.write(`${line(rows, total)}\n`);
      }
    },
    finish() {
      if (live && last) stream.write('\n');
    },
  };
}
