import type { ReactNode } from 'react';

export type BadgeTone = 'neutral' | 'good' | 'bad' | 'busy' | 'muted' | 'accent';

const statusTones: Record<string, BadgeTone> = {
  finished: 'good',
  succeeded: 'good',
  failed: 'bad',
  running: 'busy',
  cached: 'muted',
};

export function Badge({ tone = 'neutral', children }: { tone?: BadgeTone; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

/** A run, pipeline-run or step status. */
export function StatusBadge({ status }: { status: string }) {
  return <Badge tone={statusTones[status] ?? 'neutral'}>{status}</Badge>;
}

/** A registry alias such as `champion`, shown the same way everywhere. */
export function AliasBadge({ alias }: { alias: string }) {
  return <Badge tone={alias === 'champion' ? 'accent' : 'neutral'}>@{alias}</Badge>;
}
