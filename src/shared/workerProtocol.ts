/**
 * The narrow message interface between the control plane (main thread) and a media
 * worker. The control plane says what exists and how it is linked; the worker moves
 * packets and reports events. No JSON-RPC crosses this line, and no packet does.
 */

/** Plain data only (structured-clone safe). */
export type Wire = null | boolean | number | string | Wire[] | { [k: string]: Wire };

export type MediaKind = 'AUDIO' | 'VIDEO' | 'DATA';

export type ToWorker =
  /** Runs `op` on element `element` of pipeline `pipeline`; answered by a Reply with the same id. */
  | { t: 'call'; id: number; pipeline: string; element: string; op: string; args: Wire }
  /** Same, no answer expected. */
  | { t: 'post'; pipeline: string; element: string; op: string; args: Wire }
  /** Release everything and close every socket; answered by `stopped` (the worker is then terminated). */
  | { t: 'stop' }
  /** What keeps the worker's event loop alive (sockets, timers); answered by `resources`. */
  | { t: 'resources'; id: number };

/** Messages that address one pipeline. */
export type PipelineMessage = Extract<ToWorker, { t: 'call' | 'post' }>;

export type FromWorker =
  | { t: 'reply'; id: number; ok: true; value: Wire }
  | { t: 'reply'; id: number; ok: false; error: { type: string; message: string } }
  /** An element raised an event (canonical Kurento event name and its own properties). */
  | { t: 'event'; pipeline: string; element: string; name: string; data: Wire }
  | { t: 'ready' }
  /** Answer to `stop`: `closed` false when some socket had not closed in time. */
  | { t: 'stopped'; closed: boolean }
  /** process.getActiveResourcesInfo() of the worker, by handle type, its own message port left out. */
  | { t: 'resources'; id: number; list: string[] };

/** Operations every pipeline understands on the pseudo-element `''` (the pipeline itself). */
export interface PipelineOps {
  /** Creates the media part of an element: `kind` is the KMD class name. */
  create: { element: string; kind: string; options: Wire };
  release: { element: string };
  link: { source: string; sink: string; kind: MediaKind; sinkDescription: string };
  unlink: { source: string; sink: string; kind: MediaKind; sinkDescription: string };
  releasePipeline: Record<string, never>;
  /** MediaPipeline.latencyStats switched on or off. */
  setLatencyStats: { on: boolean };
}
