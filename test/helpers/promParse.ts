/**
 * A strict reader of the Prometheus text format (0.0.4) for the metrics tests: it
 * throws on anything malformed, and checks that every sample belongs to a family
 * declared by `# HELP` and `# TYPE` before it, and that histograms are complete.
 */

export interface ParsedSample { readonly name: string; readonly labels: Readonly<Record<string, string>>; readonly value: number }
export interface ParsedFamily { readonly name: string; readonly help: string; readonly type: string; readonly samples: ParsedSample[] }

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

export function parseProm(text: string): Map<string, ParsedFamily> {
  const families = new Map<string, ParsedFamily>();
  if (!text.endsWith('\n')) throw new Error('exposition does not end with a newline');
  let current: { name: string; help?: string; type?: string; samples: ParsedSample[] } | undefined;
  const close = (): void => {
    if (!current) return;
    if (current.help === undefined || current.type === undefined) throw new Error(`${current.name}: HELP and TYPE both needed`);
    families.set(current.name, { name: current.name, help: current.help, type: current.type, samples: current.samples });
  };
  for (const line of text.slice(0, -1).split('\n')) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (current?.name !== name) {
        close();
        if (families.has(name)) throw new Error(`${name} declared twice`);
        current = { name, samples: [] };
      }
      if (kind === 'HELP') current.help = rest;
      else if (['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) current.type = rest;
      else throw new Error(`bad TYPE line: ${line}`);
      continue;
    }
    if (line.startsWith('#')) continue;
    const sample = parseSample(line);
    if (!current || current.type === undefined || current.help === undefined) throw new Error(`sample before HELP/TYPE: ${line}`);
    const allowed = current.type === 'histogram' ? ['_bucket', '_sum', '_count'].map((s) => current!.name + s) : [current.name];
    if (!allowed.includes(sample.name)) throw new Error(`sample ${sample.name} not of family ${current.name}`);
    current.samples.push(sample);
  }
  close();
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function parseSample(line: string): ParsedSample {
  const m = NAME.exec(line);
  if (!m) throw new Error(`bad sample line: ${line}`);
  const name = m[0];
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    while (line[i] !== '}') {
      const key = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i));
      if (!key || line[i + key[0].length] !== '=' || line[i + key[0].length + 1] !== '"') throw new Error(`bad label in: ${line}`);
      i += key[0].length + 2;
      let value = '';
      for (;;) {
        const c = line[i++];
        if (c === undefined) throw new Error(`unterminated label value: ${line}`);
        if (c === '"') break;
        if (c === '\\') {
          const e = line[i++];
          if (e === 'n') value += '\n';
          else if (e === '\\' || e === '"') value += e;
          else throw new Error(`bad escape in: ${line}`);
        } else value += c;
      }
      if (key[0] in labels) throw new Error(`label ${key[0]} twice: ${line}`);
      labels[key[0]] = value;
      if (line[i] === ',') i++;
      else if (line[i] !== '}') throw new Error(`bad label list: ${line}`);
    }
    i++;
  }
  const rest = line.slice(i);
  const v = /^ (\+Inf|-Inf|NaN|-?[0-9.]+(?:e[+-]?\d+)?)$/.exec(rest);
  if (!v) throw new Error(`bad value in: ${line}`);
  const value = v[1] === '+Inf' ? Infinity : v[1] === '-Inf' ? -Infinity : Number(v[1]);
  return { name, labels, value };
}

/** Buckets per series ascending in `le`, cumulative counts monotone, +Inf last and equal to _count. */
function checkHistogram(f: ParsedFamily): void {
  const series = new Map<string, { buckets: Array<[number, number]>; count?: number; sum?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (s.name.endsWith('_bucket')) {
      if (le === undefined) throw new Error(`${f.name}: bucket without le`);
      entry.buckets.push([le === '+Inf' ? Infinity : Number(le), s.value]);
    } else if (s.name.endsWith('_count')) entry.count = s.value;
    else entry.sum = s.value;
  }
  for (const [key, e] of series) {
    if (e.count === undefined || e.sum === undefined) throw new Error(`${f.name}${key}: _sum or _count missing`);
    for (let i = 1; i < e.buckets.length; i++) {
      if (!(e.buckets[i]![0] > e.buckets[i - 1]![0])) throw new Error(`${f.name}${key}: le not ascending`);
      if (e.buckets[i]![1] < e.buckets[i - 1]![1]) throw new Error(`${f.name}${key}: bucket counts not monotone`);
    }
    const last = e.buckets.at(-1);
    if (!last || last[0] !== Infinity) throw new Error(`${f.name}${key}: last bucket is not +Inf`);
    if (last[1] !== e.count) throw new Error(`${f.name}${key}: +Inf bucket ${last[1]} != _count ${e.count}`);
  }
}

/** The value of one sample of `family` whose labels include `labels` (0 when absent). */
export function sampleValue(families: Map<string, ParsedFamily>, family: string, labels: Record<string, string> = {}, name = family): number {
  const f = families.get(family);
  const s = f?.samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s?.value ?? 0;
}
