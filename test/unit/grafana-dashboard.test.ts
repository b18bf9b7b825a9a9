/**
 * docs/grafana-fluo.json (issue 15 §3) queries only metric names that /metrics exposes:
 * every name in its expressions is a family of a real scrape (histograms by their
 * _bucket/_sum/_count series), and its panels use the datasource variable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startFluo } from '../helpers/fluo.ts';
import { parseProm } from '../helpers/promParse.ts';

interface Dashboard { panels: Array<{ title: string; datasource: { uid: string }; targets: Array<{ expr: string }> }>; templating: { list: Array<{ name: string; type: string }> } }

test('every metric the Grafana dashboard queries is one Fluo exposes', async () => {
  const dash = JSON.parse(readFileSync(new URL('../../docs/grafana-fluo.json', import.meta.url), 'utf8')) as Dashboard;
  assert.ok(dash.templating.list.some((v) => v.name === 'datasource' && v.type === 'datasource'));
  const fluo = await startFluo();
  try {
    const url = fluo.url.replace(/^ws/, 'http').replace(/\/kurento$/, '/metrics');
    const families = parseProm(await (await fetch(url)).text());
    const series = new Set<string>();
    for (const [name, f] of families) {
      series.add(name);
      if (f.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) series.add(name + s);
    }
    const used = new Set<string>();
    for (const p of dash.panels) {
      assert.equal(p.datasource.uid, '${datasource}', `${p.title}: the datasource variable`);
      for (const t of p.targets) for (const m of t.expr.matchAll(/\bfluo_[a-z_]+/g)) used.add(m[0]);
    }
    assert.ok(used.size >= 15, `the dashboard uses ${used.size} metrics`);
    const missing = [...used].filter((n) => !series.has(n));
    assert.deepEqual(missing, [], 'metrics the dashboard queries but /metrics lacks');
  } finally {
    await fluo.stop();
  }
});
