/**
 * The bundles' light werift Event (src/bundle/lightEvents.mjs) behaves as werift's own:
 * the same checks run on both, werift's from node_modules and the light one from a
 * bundle built with the plugin, as the server's and the workers' bundles are.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { Event as WeriftEvent } from 'werift';
import { lightWeriftEvents } from '../../src/bundle/lightEvents.mjs';

type Ev = InstanceType<typeof WeriftEvent<[number]>>;
type EventClass = new () => Ev;

const dir = mkdtempSync(join(tmpdir(), 'fluo-light-events-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function lightClass(): Promise<EventClass> {
  const entry = join(dir, 'entry.mjs');
  writeFileSync(entry, "export { Event } from 'werift';\n");
  const out = join(dir, 'bundle.mjs');
  await build({
    entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'silent', plugins: [lightWeriftEvents],
    nodePaths: [join(process.cwd(), 'node_modules')],
    banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
  });
  return ((await import(pathToFileURL(out).href)) as { Event: EventClass }).Event;
}

/** What an Event does, as werift's users rely on it. */
async function behaviour(E: EventClass): Promise<unknown[]> {
  const seen: unknown[] = [];
  const ev = new E();
  const { unSubscribe } = ev.subscribe((n) => seen.push(['a', n]), () => seen.push('a complete'), (e) => seen.push(['a error', String(e)]));
  ev.subscribe((n) => seen.push(['b', n]));
  const execute = ev.execute; // handed around unbound, as werift does
  execute(1);
  unSubscribe();
  execute(2);
  seen.push(['length', ev.length]);
  const { execute: triggered } = ev.returnTrigger;
  triggered(3);
  ev.once((n) => seen.push(['once', n]));
  ev.execute(4);
  ev.execute(5);
  const order: number[] = [];
  ev.queuingSubscribe(async (n) => { await new Promise((r) => setTimeout(r, 5)); order.push(n); });
  ev.execute(6);
  ev.execute(7);
  await new Promise((r) => setTimeout(r, 50));
  seen.push(['queued', order]);
  const p = ev.asPromise(1000);
  ev.execute(8);
  seen.push(['asPromise', await p]);
  const w = ev.watch((n) => n === 10, 1000);
  ev.execute(9);
  ev.execute(10);
  seen.push(['watch', await w]);
  const other = new E();
  ev.pipe(other as never);
  other.subscribe((n) => seen.push(['piped', n]));
  ev.execute(11);
  ev.onended = () => seen.push('ended');
  ev.complete();
  ev.execute(12);
  seen.push(['ended', ev.ended]);
  const failing = new E();
  failing.subscribe(() => undefined, undefined, (e) => seen.push(['error', String(e)]));
  failing.error(new Error('boom'));
  seen.push(['after error', failing.length]);
  const replaced = new E();
  replaced.execute = (n: number) => { seen.push(['replaced', n]); };
  replaced.execute(13);
  const rejecting = new E();
  rejecting.onerror = (e) => seen.push(['onerror', String(e)]);
  rejecting.queuingSubscribe(async () => { throw new Error('queued failure'); });
  rejecting.execute(14);
  await new Promise((r) => setTimeout(r, 10));
  return seen;
}

test('the light Event does what werift\'s does, call for call', async () => {
  const Light = await lightClass();
  assert.notEqual(Light, WeriftEvent);
  const expected = await behaviour(WeriftEvent as unknown as EventClass);
  assert.deepEqual(await behaviour(Light), expected);
  assert.ok(expected.length > 15, 'the checks saw the events');
});

test('the light Event makes no closures until a method is read', async () => {
  const Light = await lightClass();
  const ev = new Light();
  assert.deepEqual(Object.keys(ev).sort(), ['ended', 'event', 'onended']);
  const { execute } = ev;
  assert.equal(ev.execute, execute, 'bound once, then kept');
  assert.deepEqual(Object.keys(ev).sort(), ['ended', 'event', 'execute', 'onended']);
});
