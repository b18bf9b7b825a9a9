#!/usr/bin/env node
// Summarises a V8 .cpuprofile (node --cpu-prof) by self time: the top functions with
// their file, and totals per package or source folder, as shares of the busy time
// (idle excluded). Used for the "Where the CPU goes" table in docs/architecture.md.
//   node scripts/cpuprofile-summary.mjs FILE.cpuprofile [--top 30]
import fs from 'node:fs';

const file = process.argv[2];
if (!file) { console.error('usage: node scripts/cpuprofile-summary.mjs FILE.cpuprofile [--top N]'); process.exit(2); }
const topIndex = process.argv.indexOf('--top');
const top = topIndex > 0 ? Number(process.argv[topIndex + 1]) : 30;
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));

// Self time per node: the sampling intervals attributed to each sample's node.
const self = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i + 1] ?? 0;
  self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
}
const where = (url) => {
  if (!url) return '(native/vm)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)(?:\/lib\/([^/]+))?/.exec(url);
  if (m) return m[1] === 'werift' && m[2] ? `werift/${m[2]}` : m[1];
  if (url.startsWith('node:')) return url.split('/')[0].replace(/^node:internal.*/, 'node:internal');
  const s = /\/(src\/[^/]+\/[^/]+|src\/[^/]+|bench|test)\//.exec(url);
  return s ? s[1] : url;
};
const byFunction = new Map();
const byPlace = new Map();
let busy = 0;
let idle = 0;
for (const n of profile.nodes) {
  const t = self.get(n.id) ?? 0;
  if (!t) continue;
  const name = n.callFrame.functionName || '(anonymous)';
  if (name === '(idle)') { idle += t; continue; }
  busy += t;
  const url = n.callFrame.url;
  const key = `${name}  ${url ? url.replace(/^.*\/(node_modules|src)\//, '$1/') : ''}:${n.callFrame.lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + t);
  const place = name === '(garbage collector)' ? '(garbage collector)' : name === '(program)' ? '(program)' : where(url);
  byPlace.set(place, (byPlace.get(place) ?? 0) + t);
}
const pct = (t) => `${((100 * t) / busy).toFixed(1).padStart(5)}%`;
console.log(`${file}: busy ${(busy / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s`);
console.log('\nby place (self time):');
for (const [k, t] of [...byPlace].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`${pct(t)}  ${k}`);
console.log(`\ntop ${top} functions (self time):`);
for (const [k, t] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(t)}  ${k}`);
