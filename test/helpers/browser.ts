import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { before, after } from 'node:test';
import { chromium, type BrowserContext } from 'playwright-core';
import { startFluo } from './fluo.ts';

/** Chromium flags for media tests (DEVELOPERS.md): fake camera, loopback ICE allowed. */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
  '--allow-loopback-in-peer-connection', '--ignore-certificate-errors',
];

/**
 * A headless Chromium with a fresh profile; `close()` removes the profile. With
 * `fakeVideoFile` (a Y4M, e.g. a filter scene's) the fake camera plays that file in a
 * loop instead of Chromium's own test pattern.
 */
export async function launchChromium(opts: { fakeVideoFile?: string } = {}): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluo-chromium-'));
  const args = opts.fakeVideoFile ? [...CHROMIUM_ARGS, `--use-file-for-fake-video-capture=${opts.fakeVideoFile}`] : CHROMIUM_ARGS;
  const context = await chromium.launchPersistentContext(dir, { executablePath: '/usr/bin/chromium', headless: true, args });
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Serves one blank page on 127.0.0.1 (a secure context for getUserMedia). */
export async function blankPage(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end('<!doctype html><title>fluo test</title><video id="remote" autoplay playsinline muted></video>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => new Promise((r) => server.close(() => r())) };
}

export interface ChromiumFixture {
  fluo: Awaited<ReturnType<typeof startFluo>>;
  browser: Awaited<ReturnType<typeof launchChromium>>;
  page: Awaited<ReturnType<typeof blankPage>>;
}

/**
 * Fluo, a headless Chromium and a blank page for the tests of one file: started in a
 * `before` hook and stopped in an `after` hook (node:test), read through the object
 * returned once the tests run.
 */
export function chromiumAgainstFluo(): ChromiumFixture {
  const f = {} as Partial<ChromiumFixture>;
  before(async () => {
    f.fluo = await startFluo();
    f.browser = await launchChromium();
    f.page = await blankPage();
  });
  after(async () => {
    await f.browser?.close();
    await f.page?.close();
    await f.fluo?.stop();
  });
  return f as ChromiumFixture;
}
