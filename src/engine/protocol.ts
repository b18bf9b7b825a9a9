/**
 * The engine seam: the one message table between Fluo (parent) and an engine process
 * (child, src/engine/engine-main.ts) that hosts GStreamer pipelines through node-gtk.
 *
 * Transport: JSON lines, one message per line, over the child's inherited fd 3 (a Unix
 * socket pair that node's `stdio: 'pipe'` creates, so one fd carries both directions).
 * stdout/stderr stay for GStreamer's own prints, which would corrupt a channel on them
 * (g_print writes to stdout).
 *
 * The engine knows nothing of Kurento (issue 11, section 2): ids are opaque strings
 * chosen by the caller, errors carry engine codes, events are GStreamer's bus messages
 * as plain JSON. Both sides derive their types from `EngineOps` and `EngineEvent`.
 */

/** Plain JSON. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A GstStructure as JSON: its name and its fields (64-bit values as numbers, lists as arrays). */
export interface JsonStructure {
  name: string;
  fields: { [k: string]: Json };
}

export type GstStateName = 'VOID_PENDING' | 'NULL' | 'READY' | 'PAUSED' | 'PLAYING';

/**
 * A pad of a bin. Without `element`, `pad` (default `src`/`sink`) is a ghost pad made by
 * gst_parse_bin_from_description: at most one `src` and one `sink`, on the first unlinked
 * pads it finds. With `element`, the pad is `pad` on that element inside the bin (static,
 * or a request-pad template such as `sink_%u` for compositor, audiomixer, tee), ghosted on
 * the bin by `link`: the way to reach a bin's second input or output.
 */
export interface PadRef {
  bin: string;
  pad?: string;
  element?: string;
}

/** What each UDP element of a new bin is bound to (after the bin reached its state). */
export interface BinPort {
  element: string;
  /** `udpsrc`: the port it receives on; `udpsink`/`multiudpsink`: the local port it sends from. */
  kind: 'receive' | 'send';
  port: number;
}

/** Something inside a pipeline: `bin` null for the pipeline itself. */
export interface Where {
  pipeline: string;
  bin: string | null;
  /** Element path below the bin (`enc`, or `inner/enc` for nested bins); '' for the bin itself. */
  element: string;
}

/** A pipeline-level or bin-level control action. */
export type EngineAction =
  /** Sets the state of the pipeline (no bin) or of one bin, which is then locked from its parent's state. */
  | { kind: 'state'; state: 'NULL' | 'READY' | 'PAUSED' | 'PLAYING' }
  /** Flushing key-unit seek (GST_SEEK_FLAG_FLUSH|KEY_UNIT) to `positionMs`; on a bin the event goes through its sinks upstream. */
  | { kind: 'seek'; positionMs: number; accurate?: boolean }
  /** position / duration in ms (null when unknown) and whether the source says it can seek. */
  | { kind: 'query' }
  /** EOS into `element` (its sink pads) or into the bin: how a recording branch ends (engine-host-notes: stop by EOS into the branch). */
  | { kind: 'eos'; element?: string }
  /** g_signal_emit_by_name on `element` with plain arguments (action signals such as `clear` or `reset`). */
  | { kind: 'emit'; element: string; signal: string; args?: (string | number | boolean)[] };

export interface QueryResult {
  positionMs: number | null;
  durationMs: number | null;
  seekable: boolean;
  seekStartMs: number | null;
  seekEndMs: number | null;
}

export interface ElementStats {
  factory: string;
  /** Counters the element exposes: rtpjitterbuffer `stats`, multiudpsink `bytes-served`, ... */
  values: { [k: string]: Json };
}

export interface PipelineStats {
  state: GstStateName;
  bins: { [bin: string]: { state: GstStateName; elements: { [path: string]: ElementStats } } };
}

export interface ProcessStats {
  pid: number;
  rssBytes: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  uptimeMs: number;
}

/**
 * Requests: `args` sent, `result` answered. Every request answers either its result or
 * an `EngineFailure`; none leaves the engine in a half-done state it does not report.
 */
export interface EngineOps {
  /** Heartbeat (EngineProcess kills a child that stops answering). */
  ping: { args: Record<string, never>; result: { pid: number; pipelines: number; uptimeMs: number } };
  /**
   * Adds a bin built with gst_parse_bin_from_description(description, ghost_unlinked_pads=TRUE)
   * to `pipeline` (created, PLAYING, on first use) and brings it to the pipeline's state.
   * Answers the ghost pads and the UDP ports (a `udpsrc port=0` reports the port it bound).
   */
  addBin: {
    /**
     * `ghostPads` (default true): ghost the first unlinked src and sink pads as `src` and
     * `sink`. Set it false when the description has dynamic pads (a demuxer, decodebin):
     * the pad its delayed link waits for is unlinked at parse time and would be ghosted
     * instead ("Delayed linking failed", then not-linked).
     *
     * `refuseFactories`: a regular expression (source text) of element factory names the
     * bin may not hold; checked on every element the description made, nested bins and
     * URI handlers included, before the bin joins a pipeline or changes state.
     */
    args: { pipeline: string; bin: string; description: string; ghostPads?: boolean; refuseFactories?: string };
    result: { pads: { sink: string[]; src: string[] }; ports: BinPort[] };
  };
  /** Quiesces, sets the bin to NULL and removes it (its links and request pads go with it). */
  removeBin: { args: { pipeline: string; bin: string }; result: Record<string, never> };
  /** Stops and frees a whole pipeline. */
  removePipeline: { args: { pipeline: string }; result: Record<string, never> };
  /** Links two bins' pads; answers the pads actually linked (request pads get their real name). */
  link: { args: { pipeline: string; from: PadRef; to: PadRef }; result: { fromPad: string; toPad: string } };
  /** Undoes a link; request pads created by `link` are released (the input set to NULL first, per engine-host-notes). */
  unlink: { args: { pipeline: string; from: PadRef; to: PadRef }; result: Record<string, never> };
  /**
   * Sets a property as gst-launch would parse it (gst_util_set_object_arg: enum nicks,
   * caps, numbers), live. With `pad`, a pad property (compositor `xpos`, ...).
   */
  setProperty: {
    args: { pipeline: string; bin: string; element: string; pad?: string; name: string; value: string | number | boolean };
    result: Record<string, never>;
  };
  /** Reads a property, as JSON. */
  getProperty: {
    args: { pipeline: string; bin: string; element: string; pad?: string; name: string };
    result: { value: Json };
  };
  action: { args: { pipeline: string; bin?: string; action: EngineAction }; result: { query?: QueryResult } };
  /** An upstream force-key-unit event (all headers) into an encoder's src pad: its next frame is a keyframe. */
  keyframe: { args: { pipeline: string; bin: string; element: string }; result: Record<string, never> };
  /** Process figures and, per pipeline, state and element counters (one pipeline when given). */
  stats: { args: { pipeline?: string }; result: { process: ProcessStats; pipelines: { [id: string]: PipelineStats } } };
  /** gst_debug_bin_to_dot_data of the pipeline (GST_DEBUG_GRAPH_SHOW_ALL unless `details` given). */
  dot: { args: { pipeline: string; details?: number }; result: { dot: string } };
  /** Stops every pipeline and exits once the answer is written. */
  stop: { args: Record<string, never>; result: Record<string, never> };
}

export type EngineOp = keyof EngineOps;
export type EngineArgs<K extends EngineOp> = EngineOps[K]['args'];
export type EngineResult<K extends EngineOp> = EngineOps[K]['result'];

/** Error codes of failed requests. The caller maps them to its own (Kurento) meaning. */
export type EngineErrorCode =
  | 'BAD_REQUEST'
  | 'PARSE_ERROR'
  | 'NO_SUCH_PIPELINE'
  | 'NO_SUCH_BIN'
  | 'NO_SUCH_ELEMENT'
  | 'NO_SUCH_PAD'
  | 'NO_SUCH_PROPERTY'
  | 'EXISTS'
  | 'LINK_FAILED'
  | 'STATE_CHANGE_FAILED'
  /** A bin held an element of a factory its request refused (addBin `refuseFactories`). */
  | 'REFUSED'
  | 'ENGINE_ERROR'
  /** Parent side: no answer within the request timeout. */
  | 'TIMEOUT'
  /** Parent side: the engine process exited (crash, heartbeat kill, stop) before answering. */
  | 'ENGINE_EXITED';

export interface EngineFailure {
  code: EngineErrorCode;
  message: string;
}

/** Bus messages and engine-side notices, all addressed by pipeline id and bin name. */
export type EngineEvent =
  /** GST_MESSAGE_ELEMENT (zbar `barcode`, level, facedetect `facedetect`, ...). */
  | ({ type: 'element'; structure: JsonStructure } & Where)
  /** EOS of the pipeline (bin null), of a whole bin (element ''), or of one sink inside a bin (forwarded by message-forward). */
  | ({ type: 'eos' } & Where)
  | ({ type: 'error'; message: string; debug: string | null } & Where)
  | ({ type: 'warning'; message: string; debug: string | null } & Where)
  /** State changes of the pipeline and of each caller bin (not of every element). */
  | ({ type: 'state'; old: GstStateName; current: GstStateName; pending: GstStateName } & Where)
  /** A depayloader (or anything downstream of a udpsrc) asked upstream for a keyframe: the caller sends PLI/FIR to the source. */
  | ({ type: 'keyframeRequest'; allHeaders: boolean } & Where);

/** Parent -> child. */
export type ToEngine = { [K in EngineOp]: { t: 'req'; id: number; op: K; args: EngineArgs<K> } }[EngineOp];

/** Child -> parent. */
export type FromEngine =
  | { t: 'ready'; pid: number; gstVersion: string }
  | { t: 'res'; id: number; ok: true; result: EngineResult<EngineOp> }
  | { t: 'res'; id: number; ok: false; error: EngineFailure }
  | { t: 'event'; event: EngineEvent };

/** fd of the control channel in the child (stdio index 3). */
export const ENGINE_CONTROL_FD = 3;
