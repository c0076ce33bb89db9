import type { Command } from 'commander';
import {
  invalidArgument,
  notFound,
  type EndpointAlert,
  type LiveQuality,
  type VariantMonitoring,
} from '../../core/index.js';
import { endpointMonitoring } from '../../monitoring/index.js';
import { openWorkspace } from '../../server/index.js';
import { fmtNumber, formatTable, printJson } from '../output.js';
import { registerMonitorDriftCommand } from './monitor-drift.js';

/**
 * `keel monitor ENDPOINT`: an endpoint's monitoring summary; `keel monitor drift`: drift between
 * two datasets or files. The subcommand is matched first, so an endpoint cannot be named "drift".
 */
export function registerMonitorCommand(program: Command): void {
  const monitor = program
    .command('monitor')
    .description(
      "An endpoint's traffic, errors, latency, input and output drift and serving skew per feature; `keel monitor drift` compares two datasets or files",
    )
    .argument('<endpoint>', 'endpoint name')
    .option('--since <when>', 'window start: a duration back from now (30m, 1h, 7d) or an ISO time', '1h')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { since: string; json?: boolean }) => {
      const since = parseSince(options.since);
      const ws = await openWorkspace();
      try {
        const summary = await endpointMonitoring(
          ws.metadata,
          async (model, version) => {
            const found = await ws.metadata.getModelVersion(model, version);
            if (!found) throw notFound(`model version ${model}@${version} does not exist`);
            return (await ws.registry.readPackage(found)).reference;
          },
          name,
          { since },
        );
        if (options.json) return printJson(summary);
        const l = summary.latencyMs;
        process.stdout.write(
          `Endpoint ${name} since ${summary.since}\n` +
            `  requests ${summary.requests} (${perSecond(summary).toFixed(1)}/s), predictions ${summary.predictions}, errors ${summary.errors} (${(summary.errorRate * 100).toFixed(1)}%)\n` +
            `  latency  ${l ? `p50 ${l.p50.toFixed(2)} ms, p95 ${l.p95.toFixed(2)} ms, p99 ${l.p99.toFixed(2)} ms` : 'no requests'}\n\n`,
        );
        if (summary.variants.length > 1) process.stdout.write(variantTable(summary.variants) + '\n\n');
        for (const q of summary.quality) {
          process.stdout.write(
            `  quality  ${q.model}@${q.version} (${q.variant}): ${qualityText(q)} over ${q.labeled} predictions with feedback\n`,
          );
        }
        if (summary.quality.length > 0) process.stdout.write('\n');
        if (summary.alerts.length > 0) process.stdout.write(alertsTable(summary.alerts) + '\n\n');
        if (summary.drift.features.length === 0) {
          process.stdout.write(
            summary.drift.rows === 0
              ? 'No logged predictions in the window, so no drift to compute.\n'
              : `No drift to compute: the model has no training reference to compare its ${summary.drift.rows} logged predictions with (an imported model registered without --reference).\n`,
          );
          return;
        }
        const { rows, minRows } = summary.drift;
        const verdict =
          rows < minRows ? `; too few rows for a verdict (needs ${minRows}), scores shown for reference` : '';
        process.stdout.write(
          `Input drift over ${rows} predictions (${summary.drift.model}@${summary.drift.version}${verdict}):\n`,
        );
        process.stdout.write(
          formatTable(
            [
              'FEATURE',
              'METHOD',
              'STATISTIC',
              'P-VALUE',
              'THRESHOLD',
              'DRIFT',
              'MISSING (TRAINING)',
              'UNKNOWN CATEGORIES',
            ],
            summary.drift.features.map((f) => [
              f.feature,
              f.method,
              fmtNumber(f.statistic),
              f.adjustedPValue === null ? '–' : fmtNumber(f.adjustedPValue),
              `${f.pValue === null ? '>' : 'p <'} ${f.threshold}`,
              f.drifted ? 'DRIFTED' : 'ok',
              `${percent(f.missingRate)} (${percent(f.trainingMissingRate)})`,
              percent(f.outOfDomainRate),
            ]),
          ) + '\n',
        );
        if (summary.drift.output.length > 0) {
          process.stdout.write(
            '\nOutput drift:\n' +
              formatTable(
                ['OUTPUT', 'METHOD', 'STATISTIC', 'P-VALUE', 'THRESHOLD', 'DRIFT'],
                summary.drift.output.map((f) => [
                  f.feature,
                  f.method,
                  fmtNumber(f.statistic),
                  f.adjustedPValue === null ? '–' : fmtNumber(f.adjustedPValue),
                  `${f.pValue === null ? '>' : 'p <'} ${f.threshold}`,
                  f.drifted ? 'DRIFTED' : 'ok',
                ]),
              ) +
              '\n',
          );
        }
        const { share, shareThreshold } = summary.drift;
        process.stdout.write(
          `\nDataset drift: ${summary.drift.drifted ? 'DRIFTED' : 'no'} (${percent(share)} of the features drifted; drift at ≥ ${percent(shareThreshold)})\n`,
        );
      } finally {
        await ws.close();
      }
    });
  registerMonitorDriftCommand(monitor);
}

const percent = (share: number): string => `${(share * 100).toFixed(1)}%`;

/** Requests per second over the window. */
function perSecond(summary: { requests: number; since: string; until: string }): number {
  const seconds = (Date.parse(summary.until) - Date.parse(summary.since)) / 1000;
  return seconds > 0 ? summary.requests / seconds : 0;
}

/** A window's quality from feedback: accuracy, precision, recall, F1 and ROC AUC, or MAE and RMSE. */
function qualityText(q: LiveQuality): string {
  if (q.accuracy === undefined) return `MAE ${fmtNumber(q.mae)}, RMSE ${fmtNumber(q.rmse)}`;
  const parts = [`accuracy ${percent(q.accuracy)}`];
  const of = q.positiveClass !== undefined ? ` (${q.positiveClass})` : '';
  if (q.precision !== undefined) parts.push(`precision${of} ${percent(q.precision)}`);
  if (q.recall !== undefined) parts.push(`recall ${percent(q.recall)}`);
  if (q.f1 !== undefined) parts.push(`F1 ${fmtNumber(q.f1)}`);
  if (q.rocAuc !== undefined) parts.push(`ROC AUC ${fmtNumber(q.rocAuc)}`);
  return parts.join(', ');
}

/** The endpoint's alert rules and their states, firing first. */
function alertsTable(alerts: readonly EndpointAlert[]): string {
  const order = { firing: 0, pending: 1, resolved: 2, ok: 3 };
  const sorted = [...alerts].sort((a, b) => order[a.status] - order[b.status] || a.rule.localeCompare(b.rule));
  return (
    'Alerts:\n' +
    formatTable(
      ['RULE', 'STATUS', 'VALUE', 'SEVERITY', 'SINCE'],
      sorted.map((a) => [
        a.rule,
        a.status.toUpperCase(),
        a.value === null ? '–' : fmtNumber(a.value),
        a.severity,
        a.since,
      ]),
    )
  );
}

/** Each variant's traffic side by side (A/B, canary), with a shadow's agreement with the primary. */
function variantTable(variants: readonly VariantMonitoring[]): string {
  return (
    'By variant:\n' +
    formatTable(
      ['VARIANT', 'MODEL', 'REQUESTS', 'ERRORS', 'P99 MS', 'PREDICTIONS', 'AGREEMENT'],
      variants.map((v) => [
        v.variant,
        `${v.model}@${v.version}`,
        v.requests,
        percent(v.errorRate),
        v.latencyMs ? v.latencyMs.p99.toFixed(2) : '–',
        v.predictions,
        v.agreement
          ? v.agreement.rate === null
            ? `Δ ${fmtNumber(v.agreement.meanDifference)}`
            : percent(v.agreement.rate)
          : '–',
      ]),
    )
  );
}

export function parseSince(value: string, now = Date.now()): string {
  const match = /^(\d+)(s|m|h|d)$/.exec(value);
  if (match) {
    const unit = { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[match[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(now - Number(match[1]) * unit).toISOString();
  }
  const time = Date.parse(value);
  if (Number.isNaN(time))
    throw invalidArgument(`--since "${value}" is neither a duration (30m, 1h, 7d) nor an ISO time`, {
      field: '--since',
    });
  return new Date(time).toISOString();
}
