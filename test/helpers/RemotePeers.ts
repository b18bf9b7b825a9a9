import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RpcClient } from './fluo.ts';
import type { WrtcPeerOptions } from './wrtcPeer.ts';

export interface Received { frames: number; checksums: number; width: number; height: number; maxLuma: number; state: string }

/** A handle on one wrtc peer living in the agent process. */
export class RemotePeer {
  readonly messages: Array<{ label: string; data: string }> = [];
  readonly openChannels = new Set<string>();
  constructor(readonly agent: RemotePeers, readonly id: number) {}

  call(op: string, args: Record<string, unknown> = {}): Promise<unknown> {
    return this.agent.call(op, this.id, args);
  }

  received(): Promise<Received> {
    return this.call('received') as Promise<Received>;
  }

  /** Offers to a Fluo WebRtcEndpoint over JSON-RPC, with trickle ICE both ways. */
  async connectTo(c: RpcClient, endpoint: string, sessionId: string): Promise<string> {
    await c.ok('subscribe', { object: endpoint, type: 'IceCandidateFound', sessionId });
    c.onEvent((e) => {
      const v = e.params?.value;
      if (v?.object === endpoint && v.type === 'IceCandidateFound') void this.call('addCandidate', v.data.candidate as Record<string, unknown>);
    });
    this.agent.onCandidate(this.id, (cand) => {
      void c.request('invoke', { object: endpoint, operation: 'addIceCandidate', operationParams: { candidate: cand }, sessionId });
    });
    const offer = (await this.call('offer')) as string;
    const answer = (await c.ok('invoke', { object: endpoint, operation: 'processOffer', operationParams: { offer }, sessionId })).value as string;
    await this.call('setAnswer', { sdp: answer });
    await c.ok('invoke', { object: endpoint, operation: 'gatherCandidates', sessionId });
    return answer;
  }

  close(): Promise<unknown> {
    return this.call('close');
  }
}

/**
 * The parent side of `wrtcAgent.ts`: a child process hosting real libwebrtc peers.
 * `stop()` kills it, so libwebrtc's exit-time crash never touches the test process.
 */
export class RemotePeers {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly #candidates = new Map<number, (c: Record<string, unknown>) => void>();
  readonly #peers = new Map<number, RemotePeer>();
  #next = 1;
  readonly ready: Promise<void>;

  constructor() {
    this.#child = fork(fileURLToPath(new URL('./wrtcAgent.ts', import.meta.url)), [], {
      execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let ready!: () => void;
    this.ready = new Promise((r) => { ready = r; });
    this.#child.on('message', (m: Record<string, unknown>) => {
      if (m.event === 'ready') ready();
      else if (m.event === 'candidate') this.#candidates.get(m.peer as number)?.(m.candidate as Record<string, unknown>);
      else if (m.event === 'dcopen') this.#peers.get(m.peer as number)?.openChannels.add(String(m.label));
      else if (m.event === 'dcmessage') this.#peers.get(m.peer as number)?.messages.push({ label: String(m.label), data: String(m.data) });
      else if (typeof m.reply === 'number') {
        const p = this.#pending.get(m.reply);
        this.#pending.delete(m.reply);
        if (m.error) p?.reject(new Error(String(m.error)));
        else p?.resolve(m.value);
      }
    });
  }

  call(op: string, peer?: number, args: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#child.send({ id, op, peer, args });
    });
  }

  onCandidate(peer: number, fn: (c: Record<string, unknown>) => void): void {
    this.#candidates.set(peer, fn);
  }

  async create(opts: WrtcPeerOptions = {}): Promise<RemotePeer> {
    await this.ready;
    const id = (await this.call('create', undefined, { ...opts })) as number;
    const peer = new RemotePeer(this, id);
    this.#peers.set(id, peer);
    return peer;
  }

  stop(): void {
    this.#child.kill('SIGKILL');
  }
}

export async function until(pred: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
