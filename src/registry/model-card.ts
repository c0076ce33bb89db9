import {
  MODEL_CARD_FORMAT,
  MODEL_CARD_VERSION,
  type DatasetVersion,
  type EvaluationReport,
  type IntendedUse,
  type ModelCard,
  type ModelVersion,
  type ProjectConfig,
  type RegisteredModel,
} from '../core/index.js';
import type { ModelPackage } from './model-package.js';

/**
 * The model card of a version, generated from what Keel recorded: the project file's task,
 * decision and KPIs (intended use), the dataset version, the package's signature and
 * reference statistics, the run's evaluation report and the gate's decision. Every sentence
 * states a recorded fact; what Keel does not know is said to be unknown, never guessed.
 */
export interface ModelCardFacts {
  readonly version: ModelVersion;
  readonly model: RegisteredModel;
  readonly pkg: ModelPackage;
  readonly dataset: DatasetVersion | null;
  readonly report: EvaluationReport | null;
  readonly intendedUse: IntendedUse | null;
  readonly generatedAt?: string;
}

/** Features missing in more than this share of training rows are named among the limitations. */
const NOTABLE_MISSING_SHARE = 0.001;

export function intendedUseOf(config: ProjectConfig): IntendedUse {
  return {
    project: config.name,
    description: config.description?.trim() || null,
    task: config.task.type,
    target: config.task.target,
    positiveClass: config.task.positiveClass ?? null,
    decision: config.task.decision?.trim() || null,
    kpis: (config.kpis ?? []).map((kpi) => ({
      name: kpi.name,
      description: kpi.description,
      target: kpi.target ?? null,
    })),
  };
}

export function buildModelCard(facts: ModelCardFacts): ModelCard {
  const { version, model, pkg, dataset, report } = facts;
  const aliases = Object.entries(model.aliases)
    .filter(([, v]) => v === version.version)
    .map(([alias]) => alias)
    .sort();
  const missingByFeature = new Map(pkg.reference.features.map((f) => [f.name, f.missingShare]));
  const card: Omit<ModelCard, 'limitations'> = {
    format: MODEL_CARD_FORMAT,
    formatVersion: MODEL_CARD_VERSION,
    generatedAt: facts.generatedAt ?? new Date().toISOString(),
    model: {
      name: version.name,
      version: version.version,
      algorithm: version.algorithm,
      description: model.description,
      createdAt: version.createdAt,
      aliases,
      tags: Object.fromEntries(Object.entries(version.tags).filter(([key]) => !key.startsWith('keel.card'))),
      package: { digest: version.artifact, keelVersion: pkg.keelVersion, formatVersion: pkg.formatVersion },
    },
    intendedUse: facts.intendedUse,
    trainingData: dataset
      ? {
          datasetVersionId: dataset.id,
          dataset: dataset.dataset,
          version: dataset.version,
          rows: dataset.rows,
          importedAt: dataset.createdAt,
          source: { kind: dataset.source.kind, uri: dataset.source.uri },
          dateRanges: dataset.profile.columns
            .filter((c) => c.type === 'datetime' && c.min !== undefined && c.max !== undefined)
            .map((c) => ({
              column: c.name,
              from: new Date(c.min as number).toISOString(),
              to: new Date(c.max as number).toISOString(),
            })),
        }
      : null,
    features: {
      inputs: pkg.signature.inputs.map((input) => ({
        name: input.name,
        type: input.type,
        nullable: input.nullable,
        categories: input.domain ? input.domain.length : null,
        missingShare: missingByFeature.get(input.name) ?? null,
      })),
    },
    evaluation: report
      ? {
          split: report.split,
          rows: report.rows,
          selectionMetric: report.selectionMetric,
          metrics: report.metrics,
          slices: report.slices.columns.flatMap((column) =>
            column.slices.map((slice) => ({
              column: column.column,
              label: slice.label,
              rows: slice.rows,
              value: slice.metrics[report.selectionMetric] ?? null,
              small: slice.small,
            })),
          ),
          minSliceRows: report.slices.minRows,
          worstSlices: report.slices.worst,
        }
      : null,
    gate: version.blessing ?? null,
    lineage: {
      runId: version.runId,
      pipelineRunId: pkg.lineage.pipelineRunId,
      datasetVersionId: version.datasetVersionId,
    },
  };
  return { ...card, limitations: limitations(card, report) };
}

function limitations(card: Omit<ModelCard, 'limitations'>, report: EvaluationReport | null): string[] {
  const out: string[] = [];
  const data = card.trainingData;
  const dataName = data ? `${data.dataset}@${data.version}` : 'its dataset version';
  if (!report) {
    out.push(
      "No evaluation report of this version's run was found, so its quality on held-out rows is not stated here.",
    );
  } else {
    const { split } = report;
    const how =
      split.method === 'time' && split.column
        ? `a time split by ${split.column}: the test rows are the latest ones`
        : `a ${split.method} split${split.seed !== null ? ` (seed ${split.seed})` : ''}`;
    out.push(
      `The metrics come from ${count(report.rows)} held-out rows of ${dataName}, by ${how}; ` +
        'they describe data like the training data, not live traffic.',
    );
    const classification = report.classification;
    if (classification?.positiveClass) {
      const positive = classification.classBalance.find((c) => c.label === classification.positiveClass);
      if (positive) {
        out.push(`The positive class "${positive.label}" is ${percent(positive.share)} of the test rows.`);
      }
    }
    const metric = report.selectionMetric;
    if (report.slices.columns.length === 0) {
      out.push('No slice columns were set (evaluation.slices), so quality across subgroups was not measured.');
    } else {
      for (const worst of report.slices.worst) {
        out.push(
          `${metric} is ${round(worst.value)} on ${worst.column} = ${worst.label} (${count(worst.rows)} test rows), ` +
            `against ${round(worst.overall)} overall.`,
        );
      }
      if (report.slices.worst.length === 0) {
        out.push(
          `No slice of ${report.slices.columns.map((c) => c.column).join(', ')} scored below the overall ${metric}.`,
        );
      }
      const small = report.slices.columns.flatMap((c) =>
        c.slices.filter((s) => s.small).map((s) => `${c.column} = ${s.label}`),
      );
      if (small.length > 0) {
        out.push(
          `${small.length} slice${small.length === 1 ? ' has' : 's have'} fewer than ${report.slices.minRows} test rows, ` +
            `too few to rank: ${small.slice(0, 8).join(', ')}${small.length > 8 ? ', …' : ''}.`,
        );
      }
    }
  }
  for (const range of data?.dateRanges ?? []) {
    out.push(
      `The data's ${range.column} spans ${range.from.slice(0, 10)} to ${range.to.slice(0, 10)}; ` +
        'the model was not evaluated on data outside that range.',
    );
  }
  const missing = card.features.inputs.filter((i) => (i.missingShare ?? 0) > NOTABLE_MISSING_SHARE);
  if (missing.length > 0) {
    out.push(
      `Inputs missing in training rows: ${missing.map((i) => `${i.name} (${percent(i.missingShare ?? 0)})`).join(', ')}.`,
    );
  }
  const gate = card.gate;
  if (!gate) out.push('The gate has not judged this version.');
  else {
    if (!gate.passed) {
      const failed = gate.checks.filter((c) => !c.passed).map((c) => c.reason);
      out.push(`The gate did not bless this version: ${failed.join('; ')}.`);
    }
    if (gate.latencyMs) {
      out.push(
        `Predict latency was measured in-process on one machine over ${count(gate.latencyMs.rows)} single-row calls ` +
          `(p99 ${round(gate.latencyMs.p99)} ms); HTTP and network time come on top.`,
      );
    }
  }
  return out;
}

/** The card as Markdown, for people; the JSON card is the same content for programs. */
export function renderModelCard(card: ModelCard): string {
  const lines: string[] = [];
  const push = (...more: string[]) => lines.push(...more);
  const { model } = card;
  push(`# Model card: ${model.name}@${model.version}`, '');
  push(
    `Generated by Keel on ${card.generatedAt} from what Keel recorded about this version; nothing in it is written by hand.`,
    '',
  );
  push('| | |', '| --- | --- |');
  push(`| Algorithm | ${cell(model.algorithm)} |`);
  push(`| Registered | ${model.createdAt} |`);
  push(`| Aliases when generated | ${model.aliases.length ? model.aliases.map((a) => `@${a}`).join(', ') : '—'} |`);
  push(
    `| Package | \`${model.package.digest}\` (format ${model.package.formatVersion}, Keel ${model.package.keelVersion}) |`,
  );
  const tags = Object.entries(model.tags).filter(([key]) => !key.startsWith('gate.'));
  if (tags.length) push(`| Tags | ${tags.map(([k, v]) => `${cell(k)}=${cell(v)}`).join(', ')} |`);
  push('');

  push('## Intended use', '');
  const use = card.intendedUse;
  if (!use) push('Not recorded: the card was generated without the project file.', '');
  else {
    if (use.description) push(use.description, '');
    const task = use.task.replace(/_/g, ' ');
    push(`- Task: ${task} of \`${use.target}\`${use.positiveClass ? ` (positive class "${use.positiveClass}")` : ''}`);
    push(`- Decision it supports: ${use.decision ?? 'not recorded (task.decision)'}`);
    if (use.kpis.length === 0) push('- KPIs: none recorded (kpis)');
    else {
      push('- KPIs:');
      for (const kpi of use.kpis)
        push(`  - ${kpi.name}: ${kpi.description}${kpi.target ? ` (target: ${kpi.target})` : ''}`);
    }
    push('');
  }

  push('## Training data', '');
  const data = card.trainingData;
  if (!data) push('Not recorded: the version names no dataset version.', '');
  else {
    push(
      `- Dataset version ${data.dataset}@${data.version} (\`${data.datasetVersionId}\`): ${count(data.rows)} rows, imported ${data.importedAt} from ${data.source.kind} \`${data.source.uri}\``,
    );
    const split = card.evaluation?.split;
    if (split) {
      push(
        `- Split: ${split.method}${split.column ? ` by ${split.column}` : ''}, ${count(split.trainRows)} training rows / ${count(split.testRows)} test rows${split.seed !== null ? `, seed ${split.seed}` : ''}`,
      );
    }
    for (const range of data.dateRanges) push(`- ${range.column}: ${range.from} to ${range.to}`);
    push('');
  }

  push('## Features', '');
  push(`${card.features.inputs.length} inputs, as a request sends them:`, '');
  push('| Input | Type | Nullable | Categories | Missing in training |', '| --- | --- | --- | --- | --- |');
  for (const input of card.features.inputs) {
    push(
      `| ${cell(input.name)} | ${input.type} | ${input.nullable ? 'yes' : 'no'} | ${input.categories ?? '—'} | ${input.missingShare === null ? '—' : percent(input.missingShare)} |`,
    );
  }
  push('');

  push('## Evaluation on the test split', '');
  const evaluation = card.evaluation;
  if (!evaluation) push('No evaluation report was found.', '');
  else {
    push(`${count(evaluation.rows)} test rows; the selection metric is ${evaluation.selectionMetric}.`, '');
    push('| Metric | Value |', '| --- | --- |');
    for (const [name, value] of Object.entries(evaluation.metrics))
      push(`| ${name} | ${value === null ? '—' : round(value)} |`);
    push('');
    if (evaluation.slices.length > 0) {
      push(`### ${evaluation.selectionMetric} by slice`, '');
      push(`| Column | Slice | Rows | ${evaluation.selectionMetric} |`, '| --- | --- | --- | --- |');
      for (const slice of evaluation.slices) {
        const value = slice.value === null ? '—' : round(slice.value);
        push(
          `| ${cell(slice.column)} | ${cell(slice.label)} | ${count(slice.rows)}${slice.small ? ' (few)' : ''} | ${value} |`,
        );
      }
      push('');
      push('### Worst slices', '');
      if (evaluation.worstSlices.length === 0) {
        push(`None of the slices with at least ${evaluation.minSliceRows} rows scored below the overall value.`, '');
      } else {
        for (const worst of evaluation.worstSlices) {
          push(
            `- ${worst.column} = ${worst.label}: ${worst.metric} ${round(worst.value)} vs ${round(worst.overall)} overall (${count(worst.rows)} rows)`,
          );
        }
        push('');
      }
    }
  }

  push('## Gate decision', '');
  const gate = card.gate;
  if (!gate) push('The gate has not judged this version.', '');
  else {
    push(
      `${gate.passed ? 'Blessed' : 'Not blessed'} for @${gate.alias} by ${gate.actor} at ${gate.at}` +
        (gate.champion !== null ? `, compared with champion v${gate.champion}` : ', with no champion to compare with') +
        '.',
      '',
    );
    for (const check of gate.checks) push(`- ${check.passed ? '✓' : '✗'} ${check.reason}`);
    if (gate.latencyMs) {
      const l = gate.latencyMs;
      push(
        `- Single-row predict latency over ${count(l.rows)} rows: p50 ${round(l.p50)} ms, p95 ${round(l.p95)} ms, p99 ${round(l.p99)} ms`,
      );
    }
    push('');
  }

  push('## Limitations', '');
  for (const limitation of card.limitations) push(`- ${limitation}`);
  push('');

  push('## Lineage', '');
  push(`- Dataset version: ${card.lineage.datasetVersionId ? `\`${card.lineage.datasetVersionId}\`` : 'not recorded'}`);
  push(`- Run: ${card.lineage.runId ? `\`${card.lineage.runId}\`` : 'not recorded'}`);
  push(`- Pipeline run: ${card.lineage.pipelineRunId ? `\`${card.lineage.pipelineRunId}\`` : 'not recorded'}`);
  return lines.join('\n') + '\n';
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function percent(share: number): string {
  return `${Number((share * 100).toPrecision(3))}%`;
}

function round(value: number): string {
  return Number(value.toPrecision(4)).toString();
}

/** Text in a Markdown table cell: a pipe would end the cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
