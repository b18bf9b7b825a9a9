/**
 * A headless Firefox driven over WebDriver BiDi with `ws`, for the tutorial tests.
 *
 * Why not playwright-core: its BiDi Firefox driver (`firefox.launch({ channel: 'moz-firefox' })`
 * in 1.65) targets Firefox Nightly. With Debian's Firefox ESR (153) every new context fails in
 * `browser.newContext` / `launchPersistentContext` because Playwright unconditionally sends
 * `emulation.setMediaFeaturesOverride`, which that Firefox answers with "unknown command".
 * The few BiDi commands the tests need (navigate, call a function, close) are all in the ESR,
 * so this helper speaks the protocol itself.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { waitFor } from './netns.ts';

export const FIREFOX_PATH = process.env.FLUO_FIREFOX ?? '/usr/bin/firefox-esr';

/**
 * Profile preferences. Firefox's remote agent already applies its "recommended" automation
 * prefs (no updates, telemetry or first-run pages); these add what WebRTC tests need.
 */
export const FIREFOX_PREFS: Readonly<Record<string, boolean | number | string>> = {
  // A synthetic camera and microphone, granted without a permission prompt.
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  // The tests run in a network namespace with only `lo`. Firefox filters loopback addresses
  // out of ICE gathering unless ice.loopback is set, and must offer plain addresses (not mDNS
  // names, which Fluo cannot resolve).
  'media.peerconnection.ice.loopback': true,
  'media.peerconnection.ice.default_address_only': false,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  'media.peerconnection.ice.no_host': false,
  // Even so, Firefox gathers only the "default address" (the source address of a route to
  // the Internet; there is none here, so no candidate at all: "failed to find default
  // addresses" in MOZ_LOG=nicer:5) unless the page holds a camera or microphone permission.
  // A stream granted through permission.disabled does not count; a default "allow" does.
  'permissions.default.camera': 1,
  'permissions.default.microphone': 1,
  // Remote videos start without a real user gesture.
  'media.autoplay.default': 0,
  'media.autoplay.blocking_policy': 0,
  // Nothing but the page under test may open connections.
  'network.proxy.type': 0,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'browser.safebrowsing.downloads.enabled': false,
  'extensions.update.enabled': false,
  'app.update.disabledForTesting': true,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.enabled': false,
};

export function firefoxAvailable(): boolean {
  try {
    fs.accessSync(FIREFOX_PATH, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A BiDi remote value as far as these tests read it. */
interface RemoteValue { type: string; value?: unknown }
interface BidiMessage {
  id?: number;
  type?: 'success' | 'error' | 'event';
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: string;
  message?: string;
}
interface EvaluateResult {
  type: 'success' | 'exception';
  result?: RemoteValue;
  exceptionDetails?: { text?: string };
}

/** A page-side function: it runs in the page, so it may only use its argument and page globals. */
export type PageFunction<A, R> = (arg: A) => R | Promise<R>;

class BidiSession {
  #next = 1;
  #pending = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void; method: string }>();
  #listeners: Array<(m: BidiMessage) => void> = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as BidiMessage;
      if (m.type === 'event') {
        for (const l of this.#listeners) l(m);
        return;
      }
      const p = m.id === undefined ? undefined : this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id!);
      if (m.type === 'error') p.reject(new Error(`${p.method}: ${m.error ?? 'error'}: ${m.message ?? ''}`));
      else p.resolve(m.result ?? {});
    });
    // A connection reset (Firefox killed) comes as 'error' then 'close'; 'close' fails what waits.
    ws.on('error', () => undefined);
    ws.on('close', () => {
      for (const p of this.#pending.values()) p.reject(new Error(`${p.method}: Firefox closed the BiDi connection`));
      this.#pending.clear();
    });
  }

  /** Sends a command; one that Firefox leaves unanswered for `timeoutMs` fails (node:test has no timeout of its own). */
  send(method: string, params: Record<string, unknown>, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      if (this.ws.readyState !== WebSocket.OPEN) return reject(new Error(`${method}: BiDi connection is not open`));
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${method}: no answer from Firefox within ${timeoutMs} ms`));
      }, timeoutMs);
      const settle = <T>(fn: (v: T) => void) => (v: T): void => { clearTimeout(timer); fn(v); };
      this.#pending.set(id, { resolve: settle(resolve), reject: settle(reject), method });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  onEvent(fn: (m: BidiMessage) => void): void {
    this.#listeners.push(fn);
  }
}

/** One tab (a top-level browsing context). */
export class FirefoxPage {
  constructor(private readonly session: BidiSession, readonly context: string) {}

  async goto(url: string): Promise<void> {
    await this.session.send('browsingContext.navigate', { context: this.context, url, wait: 'complete' });
  }

  /**
   * Runs `fn(arg)` in the page and returns its JSON-serialisable result. The call counts as a
   * user gesture, as a click would.
   */
  async evaluate<A, R>(fn: PageFunction<A, R>, arg: A): Promise<R> {
    // Argument and result cross as JSON strings: BiDi's own value serialisation is richer than
    // these tests need and JSON keeps the helper small.
    const functionDeclaration = `async (argJson) => { const r = await (${fn.toString()})(JSON.parse(argJson)); return JSON.stringify(r === undefined ? null : r); }`;
    const res = (await this.session.send('script.callFunction', {
      functionDeclaration,
      arguments: [{ type: 'string', value: JSON.stringify(arg ?? null) }],
      target: { context: this.context },
      awaitPromise: true,
      userActivation: true,
    })) as unknown as EvaluateResult;
    if (res.type === 'exception') throw new Error(`in page: ${res.exceptionDetails?.text ?? 'exception'}`);
    return JSON.parse(String(res.result?.value)) as R;
  }

  /** Polls `fn(arg)` until it returns something truthy. */
  waitFor<A>(fn: PageFunction<A, unknown>, arg: A, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    return waitFor(async () => Boolean(await this.evaluate(fn, arg)), timeoutMs, what);
  }

  /** Clicks a button the way a user would trigger its handler (with user activation). */
  async click(selector: string): Promise<void> {
    await this.evaluate((sel) => {
      const el = document.querySelector(sel) as HTMLElement | null;
      if (!el) throw new Error(`no element ${sel}`);
      if ((el as HTMLButtonElement).disabled) throw new Error(`${sel} is disabled`);
      el.click();
    }, selector);
  }

  /** Types into an input: sets its value and fires `input`, as typing does. */
  async fill(selector: string, text: string): Promise<void> {
    await this.evaluate(([sel, value]) => {
      const el = document.querySelector(sel) as HTMLInputElement | null;
      if (!el) throw new Error(`no element ${sel}`);
      el.value = value;
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }, [selector, text] as const);
  }

  async close(): Promise<void> {
    // promptUnload: run `beforeunload` as a user closing the tab does (pages send `stop` there).
    await this.session.send('browsingContext.close', { context: this.context, promptUnload: true });
  }
}

export interface FirefoxBrowser {
  readonly version: string;
  newPage(): Promise<FirefoxPage>;
  /** Closes Firefox, kills anything left of its process group and removes the profile. */
  close(): Promise<void>;
}

/** Starts a headless Firefox with a fresh profile and opens a BiDi session on it. */
export async function launchFirefox(opts: { timeoutMs?: number; prefs?: Record<string, boolean | number | string> } = {}): Promise<FirefoxBrowser> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluo-firefox-'));
  fs.writeFileSync(path.join(dir, 'user.js'), Object.entries({ ...FIREFOX_PREFS, ...opts.prefs }).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});`).join('\n') + '\n');
  // Its own process group, so that close() can reach the content processes (the crash helper
  // sets up a group of its own and leaves when Firefox does).
  const child = spawn(FIREFOX_PATH, ['--headless', '--no-remote', '--remote-debugging-port=0', '--profile', dir, 'about:blank'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MOZ_CRASHREPORTER_DISABLE: '1', MOZ_DISABLE_AUTO_SAFE_MODE: '1' },
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const killGroup = (): void => {
    try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
  };
  // Should the test process end without close() (a failed hook, process.exit), Firefox must
  // not outlive it. A signal (Ctrl-C, the runner's timeout) runs no 'exit' handler, and being
  // in its own group Firefox does not get the terminal's SIGINT: for those a watchdog, in a
  // group of its own as well, waits for the end of its stdin (this process gone, however it
  // died) and then removes Firefox and the profile.
  process.on('exit', killGroup);
  const watchdog = child.pid === undefined ? undefined : spawn('sh', ['-c', 'while read -r _; do :; done; kill -KILL "-$0" 2>/dev/null; rm -rf -- "$1"', String(child.pid), dir], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  watchdog?.on('error', () => undefined);
  watchdog?.unref();
  (watchdog?.stdin as Socket | null | undefined)?.unref();
  const cleanup = async (): Promise<void> => {
    process.off('exit', killGroup);
    killGroup();
    await within(exited, 2000);
    fs.rmSync(dir, { recursive: true, force: true });
    // Done by hand: the watchdog goes without touching anything.
    try { watchdog?.kill('SIGKILL'); } catch { /* already gone */ }
  };
  let ws: WebSocket | undefined;
  try {
    const endpoint = await bidiEndpoint(child, opts.timeoutMs ?? 20_000);
    ws = new WebSocket(`${endpoint}/session`);
    await new Promise<void>((resolve, reject) => { ws!.once('open', () => resolve()); ws!.once('error', reject); });
    const session = new BidiSession(ws);
    // The tutorials serve HTTPS (and WSS) with a self-signed certificate.
    const created = await session.send('session.new', { capabilities: { alwaysMatch: { acceptInsecureCerts: true } } });
    if (process.env.FLUO_DEBUG) {
      await session.send('session.subscribe', { events: ['log.entryAdded'] });
      session.onEvent((m) => { if (m.method === 'log.entryAdded') console.log('FIREFOX', (m.params as { text?: string }).text); });
    }
    const version = String((created.capabilities as { browserVersion?: string } | undefined)?.browserVersion ?? '');
    return {
      version,
      newPage: async () => {
        const r = await session.send('browsingContext.create', { type: 'tab' });
        return new FirefoxPage(session, String(r.context));
      },
      close: async () => {
        // A clean quit first (it flushes nothing we need, but avoids crash-report noise);
        // then the process group goes, whatever state it is in.
        await within(session.send('browser.close', {}).catch(() => undefined), 3000);
        await within(exited, 5000);
        ws?.terminate();
        await cleanup();
      },
    };
  } catch (e) {
    ws?.terminate();
    await cleanup();
    throw e;
  }
}

/** Waits for `p`, or `ms` at most, leaving no timer behind (it would keep the test process alive). */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((r) => { timer = setTimeout(r, ms); })]);
  clearTimeout(timer);
}

/** Reads the BiDi WebSocket address Firefox prints on stderr once its remote agent listens. */
function bidiEndpoint(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => done(new Error(`Firefox did not start its BiDi agent within ${timeoutMs} ms:\n${log.slice(-2000)}`)), timeoutMs);
    const onData = (d: Buffer): void => {
      log += d.toString();
      const m = /WebDriver BiDi listening on (ws:\/\/\S+)/.exec(log);
      if (m) done(undefined, m[1]);
    };
    const onExit = (code: number | null): void => done(new Error(`Firefox exited (code ${code}) before its BiDi agent listened:\n${log.slice(-2000)}`));
    const onError = (e: Error): void => done(new Error(`cannot start ${FIREFOX_PATH}: ${e.message}`));
    function done(err?: Error, url?: string): void {
      clearTimeout(timer);
      child.stderr!.off('data', onData);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      // Keep draining Firefox's output so a full pipe never blocks it.
      child.stderr!.resume();
      child.stdout!.resume();
      if (err) reject(err);
      else resolve(url!);
    }
    child.stderr!.on('data', onData);
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}
