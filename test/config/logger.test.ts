/** The GST_DEBUG-style logger: thresholds per category, line format, Kurento-style rotating files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Logger, Level } from '../../src/log/Logger.ts';

const KURENTO_NAME = /^\d{4}-\d\d-\d\dT\d{6}\.(\d{5})\.pid\d+\.log$/;

/** Runs `fn` with stdout and stderr captured. */
function capture(fn: () => void): { out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const o = process.stdout.write;
  const e = process.stderr.write;
  process.stdout.write = ((s: string) => (out.push(s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => (err.push(s), true)) as typeof process.stderr.write;
  try {
    fn();
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
  return { out: out.join(''), err: err.join('') };
}

test('thresholds per category follow configure(), also for loggers made before it', (t) => {
  t.after(() => Logger.configure({ spec: '2', color: false }));
  const ws = Logger.get('KurentoWebSocketTransport');
  Logger.configure({ spec: '3,Kurento*:4,KurentoWebSocket*:5', color: false });
  assert.equal(ws.level, 5);
  assert.equal(Logger.get('KurentoMediaServer').level, 4);
  assert.equal(Logger.get('FluoOther').level, 3);
  assert.equal(Logger.get('KurentoMediaServer'), Logger.get('KurentoMediaServer'), 'one logger per category');
  assert.ok(ws.enabled(Level.DEBUG));
  assert.ok(ws.enabled('DEBUG'));
  assert.ok(!ws.enabled('LOG'));
  Logger.configure({ spec: '1', color: false });
  assert.equal(ws.level, 1);
});

test('line format, stdout/stderr split, fields; disabled levels never build the message', (t) => {
  t.after(() => Logger.configure({ spec: '2', color: false }));
  Logger.configure({ spec: '4', color: true });
  const log = Logger.get('FluoFormat');
  let built = 0;
  const { out, err } = capture(() => {
    log.info('started', { port: 8888, path: 'kurento' });
    log.warn('careful', new Error('boom'));
    log.debug(() => { built++; return 'expensive'; });
    log.info(() => { built++; return 'lazy'; }, 42, [1, 2]);
  });
  assert.equal(built, 1, 'the DEBUG message function was not called');
  const lines = out.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \d+ 0x[0-9a-f]{4} INFO {4}FluoFormat started port=8888 path=kurento$/);
  assert.match(lines[1]!, / INFO {4}FluoFormat lazy 42 \[ 1, 2 \]$/);
  assert.match(err, / WARNING FluoFormat careful Error: boom\n$/, 'no colours when the stream is not a terminal');
});

test('--logs-path: Kurento file names, rotation at the size limit, only the newest N kept', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluo-logs-'));
  t.after(() => {
    Logger.configure({ spec: '2', color: false });
    fs.rmSync(dir, { recursive: true, force: true });
  });
  // Files of an earlier run count towards the limit; other files are left alone.
  const old = path.join(dir, '2020-01-01T000000.00000.pid1.log');
  fs.writeFileSync(old, 'old\n');
  fs.utimesSync(old, new Date(2020, 0, 1), new Date(2020, 0, 1));
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'keep me');

  Logger.configure({ spec: '5', color: false, logsPath: dir, logFileSizeMb: 1, numberLogFiles: 3 });
  const log = Logger.get('FluoRotation');
  const line = 'x'.repeat(1000);
  const { out, err } = capture(() => {
    for (let i = 0; i < 3500; i++) log.info(`${i} ${line}`);
  });
  assert.equal(out + err, '', 'nothing on the console when logging to files');

  const logs = fs.readdirSync(dir).filter((f) => f.endsWith('.log')).sort((a, b) => KURENTO_NAME.exec(a)![1]!.localeCompare(KURENTO_NAME.exec(b)![1]!));
  assert.ok(fs.existsSync(path.join(dir, 'notes.txt')));
  assert.ok(!fs.existsSync(old), 'the oldest file was deleted');
  assert.equal(logs.length, 3, logs.join(' '));
  for (const f of logs) assert.match(f, KURENTO_NAME);
  assert.deepEqual(logs.map((f) => KURENTO_NAME.exec(f)![1]), ['00001', '00002', '00003'], 'file 00000 rotated out');
  for (const f of logs.slice(0, 2)) {
    const size = fs.statSync(path.join(dir, f)).size;
    assert.ok(size <= 1024 * 1024 && size > 1024 * 1024 - 1100, `${f}: ${size} bytes`);
  }
  assert.equal(Logger.currentFile, path.join(dir, logs[2]!));
  const last = fs.readFileSync(path.join(dir, logs[2]!), 'utf8').trim().split('\n').at(-1)!;
  assert.match(last, / INFO {4}FluoRotation 3499 x+$/);
  assert.ok(!log.enabled(Level.LOG));
});
