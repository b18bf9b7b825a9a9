/**
 * What the hub tests share: one Fluo in the test process, one JSON-RPC session, the
 * libwebrtc peers' agent, and shorthands for create / invoke / connect and for a
 * WebRtcEndpoint with its peer.
 */
import { before, after } from 'node:test';
import { startFluo, RpcClient } from '../helpers/fluo.ts';
import { RemotePeers, type RemotePeer } from '../helpers/RemotePeers.ts';
import { GstLaunches } from '../helpers/gstreamer.ts';
import type { ObjectApi } from '../helpers/frameGrab.ts';

export interface HubBed {
  readonly peers: RemotePeers;
  /** gst-launch senders and receivers, killed after the file's tests. */
  readonly launches: GstLaunches;
  /** create / invoke answering values, as frameGrab and gstPeers take them. */
  readonly api: ObjectApi;
  /** Stops a receiver (FrameGrabber, ToneGrabber) after the file's tests, even a failed test's. */
  track<T extends { stop(): void }>(receiver: T): T;
  fluo: Awaited<ReturnType<typeof startFluo>>;
  c: RpcClient;
  sid: string;
}

/** Starts Fluo and a session before the file's tests, stops both (and the peers) after. */
export function hubBed(): HubBed {
  const receivers: Array<{ stop(): void }> = [];
  const bed = {
    track: (r) => { receivers.push(r); return r; },
    peers: new RemotePeers(),
    launches: new GstLaunches(),
    api: {
      create: (type, params) => create(bed, type, params),
      invoke: async (object, operation, params) => (await invoke(bed, object, operation, params ?? {})).value,
    },
  } as HubBed;
  before(async () => {
    bed.fluo = await startFluo();
    bed.c = await RpcClient.open(bed.fluo.url);
    bed.sid = (await bed.c.ok('connect')).sessionId!;
  });
  after(async () => {
    for (const r of receivers) r.stop();
    bed.launches.killAll();
    bed.peers.stop();
    await bed.c.close();
    await bed.fluo.stop();
  });
  return bed;
}

export async function create(bed: HubBed, type: string, constructorParams: Record<string, unknown>): Promise<string> {
  return (await bed.c.ok('create', { type, constructorParams, sessionId: bed.sid })).value as string;
}

export function invoke(bed: HubBed, object: string, operation: string, operationParams: Record<string, unknown> = {}) {
  return bed.c.ok('invoke', { object, operation, operationParams, sessionId: bed.sid });
}

/** The error of a call that must fail. */
export async function refused(bed: HubBed, object: string, operation: string, operationParams: Record<string, unknown>) {
  return (await bed.c.request('invoke', { object, operation, operationParams, sessionId: bed.sid })).error;
}

/** A WebRtcEndpoint of `P` with a libwebrtc peer connected to it. */
export async function joined(bed: HubBed, P: string, opts: { recvOnly?: boolean; shade?: number } = {}): Promise<{ ep: string; peer: RemotePeer }> {
  const ep = await create(bed, 'WebRtcEndpoint', { mediaPipeline: P });
  const peer = await bed.peers.create({ recvOnly: opts.recvOnly, shade: opts.shade });
  await peer.connectTo(bed.c, ep, bed.sid);
  return { ep, peer };
}

/** Whether a luma is nearer `want` than `other` (VP8 ringing can overshoot a shade a little). */
export const nearer = (luma: number, want: number, other: number): boolean => Math.abs(luma - want) < Math.abs(luma - other);
