import type { Command } from 'commander';
import { diffDatasetVersions, hasChanged } from '../../data/index.js';
import { fmtNumber, formatTable, printJson } from '../output.js';
import {
  datasetRefArg,
  fmtCount,
  fmtSignedPercent,
  loadDatasetVersion,
  withWorkspace,
  type DatasetRefArg,
} from './data-refs.js';

export function registerDataDiffCommand(data: Command): void {
  data
    .command('diff')
    .description('Compare two dataset versions (of one dataset or two): schema changes and per-column statistics')
    .argument('<from>', 'NAME or NAME@VERSION (default: latest)', datasetRefArg)
    .argument('<to>', 'NAME or NAME@VERSION (default: latest)', datasetRefArg)
    .option('--all', 'list every statistic, not only those that changed')
    .option('--json', 'print JSON (every statistic, with absolute and relative changes)')
    .action(async (fromRef: DatasetRefArg, toRef: DatasetRefArg, options: { all?: boolean; json?: boolean }) => {
      await withWorkspace(async (ws) => {
        const [from, to] = [await loadDatasetVersion(ws, fromRef), await loadDatasetVersion(ws, toRef)];
        const diff = diffDatasetVersions(from, to);
        if (options.json) return printJson(diff);

        const name = (r: { dataset: string; version: number }) => `${r.dataset}@${r.version}`;
        const out: string[] = [`${name(diff.from)} → ${name(diff.to)}`];
        const rows = diff.rows;
        out.push(
          `Rows: ${fmtCount(rows.from ?? 0)} → ${fmtCount(rows.to ?? 0)}` +
            (hasChanged(rows) ? ` (${signed(rows.change)}, ${fmtSignedPercent(rows.relative)})` : ' (unchanged)'),
        );
        if (diff.sameContent) out.push(`Same content (${diff.to.contentHash}): the data are identical.`);

        out.push('');
        if (diff.schemaChanges.length === 0) out.push('Schema: no changes');
        else {
          out.push(
            `Schema changes (${diff.schemaChanges.length})`,
            formatTable(
              ['COLUMN', 'CHANGE'],
              diff.schemaChanges.map((c) => [c.column, c.message]),
            ),
          );
        }

        const all = diff.columns.flatMap((c) => c.statistics.map((s) => ({ column: c.column, ...s })));
        const shown = options.all ? all : all.filter(hasChanged);
        out.push('');
        if (shown.length === 0) out.push(`Statistics: no changes in the ${diff.columns.length} shared columns`);
        else {
          out.push(
            options.all
              ? `Statistics of the ${diff.columns.length} shared columns`
              : `Statistics that changed (${shown.length} of ${all.length}, in ${diff.columns.length} shared columns)`,
            formatTable(
              ['COLUMN', 'STATISTIC', 'FROM', 'TO', 'CHANGE', 'RELATIVE'],
              shown.map((s) => [
                s.column,
                s.statistic,
                fmtNumber(s.from),
                fmtNumber(s.to),
                signed(s.change),
                fmtSignedPercent(s.relative),
              ]),
            ),
          );
        }
        process.stdout.write(out.join('\n') + '\n');
      });
    });
}

function signed(value: number | null): string {
  if (value === null) return '–';
  return value > 0 ? `+${fmtNumber(value)}` : fmtNumber(value);
}
