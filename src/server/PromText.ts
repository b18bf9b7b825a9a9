/**
 * The Prometheus text exposition format, version 0.0.4 (prometheus.io, "Exposition
 * formats"): `# HELP` and `# TYPE` once per family, then its samples; label values
 * escape `\`, `"` and newline, HELP text escapes `\` and newline.
 */

export type Labels = Readonly<Record<string, string>>;
export type FamilyType = 'counter' | 'gauge' | 'histogram';

export interface Sample {
  /** Appended to the family's name (`_bucket`, `_sum`, `_count`); none for counters and gauges. */
  readonly suffix?: string;
  readonly labels?: Labels;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: FamilyType;
  readonly samples: readonly Sample[];
}

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function exposition(families: readonly Family[]): string {
  let out = '';
  for (const f of families) {
    out += `# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n`;
    out += `# TYPE ${f.name} ${f.type}\n`;
    for (const s of f.samples) out += `${f.name}${s.suffix ?? ''}${labelText(s.labels)} ${numberText(s.value)}\n`;
  }
  return out;
}

export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labelText(labels: Labels | undefined): string {
  if (!labels) return '';
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function numberText(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

/** A counter with labels; series appear once first incremented. */
export class CounterVec {
  readonly #series = new Map<string, { labels: Labels; value: number }>();

  constructor(readonly name: string, readonly help: string) {}

  inc(labels: Labels, by = 1): void {
    const key = JSON.stringify(labels);
    const s = this.#series.get(key);
    if (s) s.value += by;
    else this.#series.set(key, { labels, value: by });
  }

  family(): Family {
    return { name: this.name, help: this.help, type: 'counter', samples: [...this.#series.values()].map((s) => ({ labels: s.labels, value: s.value })) };
  }
}

/** A histogram with labels; `buckets` are upper bounds, ascending, +Inf added. */
export class HistogramVec {
  readonly #series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  readonly #bounds: readonly number[];

  constructor(readonly name: string, readonly help: string, buckets: readonly number[]) {
    this.#bounds = [...buckets].sort((a, b) => a - b);
  }

  observe(labels: Labels, value: number): void {
    const key = JSON.stringify(labels);
    let s = this.#series.get(key);
    if (!s) {
      s = { labels, counts: this.#bounds.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, s);
    }
    // Counts are per bucket here and made cumulative (`le`) at exposition.
    const i = this.#bounds.findIndex((b) => value <= b);
    if (i >= 0) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  family(): Family {
    const samples: Sample[] = [];
    for (const s of this.#series.values()) {
      let cumulative = 0;
      this.#bounds.forEach((b, i) => {
        cumulative += s.counts[i]!;
        samples.push({ suffix: '_bucket', labels: { ...s.labels, le: String(b) }, value: cumulative });
      });
      samples.push({ suffix: '_bucket', labels: { ...s.labels, le: '+Inf' }, value: s.count });
      samples.push({ suffix: '_sum', labels: s.labels, value: s.sum });
      samples.push({ suffix: '_count', labels: s.labels, value: s.count });
    }
    return { name: this.name, help: this.help, type: 'histogram', samples };
  }
}
