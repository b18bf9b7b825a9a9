import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import type { RpcClient } from './fluo.ts';
import { videoLuma } from './videoLuma.ts';
import type { RunningTutorial } from '../../examples/tutorials.ts';

/**
 * Where the tutorial tests put their screenshots: every run takes them, but only
 * `FLUO_UPDATE_SCREENSHOTS=1` (`npm run screenshots`) writes them over the README's, in
 * docs/screenshots/; otherwise they go to a temp dir that `cleanup()` removes, and the
 * checkout stays clean.
 */
export function screenshotDir(): { dir: string; cleanup: () => void } {
  const update = process.env.FLUO_UPDATE_SCREENSHOTS === '1';
  const dir = update
    ? fileURLToPath(new URL('../../docs/screenshots/', import.meta.url))
    : fs.mkdtempSync(path.join(os.tmpdir(), 'fluo-screenshots-')) + path.sep;
  return { dir, cleanup: () => { if (!update) fs.rmSync(dir, { recursive: true, force: true }); } };
}

/** How many pipelines ServerManager lists. */
export async function pipelineCount(rpc: RpcClient): Promise<number> {
  return ((await rpc.ok('invoke', { object: 'manager_ServerManager', operation: 'getPipelines' })).value as string[]).length;
}

/**
 * Waits until a <video> has advanced past `minTime` seconds and shows a picture; returns
 * its time and mean luma.
 */
export async function videoPlays(page: Page, id: string, timeout = 20_000, minTime = 1): Promise<{ time: number; luma: number }> {
  await page.waitForFunction(([vid, min]) => {
    const v = document.getElementById(vid) as HTMLVideoElement;
    return v.currentTime > min && v.videoWidth > 0;
  }, [id, minTime] as const, { timeout });
  return page.evaluate(videoLuma, `#${id}`);
}

/** Opens a tutorial's page in a new tab and waits until it is connected to its application server. */
export async function openTutorial(context: BrowserContext, app: RunningTutorial, query = ''): Promise<Page> {
  const page = await context.newPage();
  if (process.env.FLUO_DEBUG) page.on('console', (m) => console.log('PAGE', m.text()));
  if (process.env.FLUO_DEBUG) page.on('pageerror', (e) => console.log('PAGEERR', e.message));
  await page.goto(`https://127.0.0.1:${app.port}/${query}`);
  await page.waitForFunction(() => /Connected to the application server/.test(document.getElementById('status')!.textContent ?? ''));
  return page;
}

/** Waits until the page's status line matches `pattern`. */
export async function statusMatches(page: Page, pattern: RegExp, timeout = 10_000): Promise<void> {
  await page.waitForFunction((src) => new RegExp(src).test(document.getElementById('status')!.textContent ?? ''), pattern.source, { timeout });
}

/** A 32x24 grey sample of what the <video> shows now (runs in the page): motion needs the pixels, videoLuma gives their mean. */
function sample(selector: string): number[] {
  const v = document.querySelector(selector) as HTMLVideoElement;
  const c = document.createElement('canvas');
  c.width = 32; c.height = 24;
  const g = c.getContext('2d')!;
  g.drawImage(v, 0, 0, 32, 24);
  const d = g.getImageData(0, 0, 32, 24).data;
  const out: number[] = [];
  for (let i = 0; i < d.length; i += 4) out.push((d[i]! + d[i + 1]! + d[i + 2]!) / 3);
  return out;
}

/** The mean change per pixel (0-255) of a <video>'s picture over `ms`: about 0 for a held picture. */
export async function pictureMoves(page: Page, id: string, ms = 700): Promise<number> {
  const a = await page.evaluate(sample, `#${id}`);
  await new Promise((r) => setTimeout(r, ms));
  const b = await page.evaluate(sample, `#${id}`);
  return a.reduce((sum, x, i) => sum + Math.abs(x - b[i]!), 0) / a.length;
}
