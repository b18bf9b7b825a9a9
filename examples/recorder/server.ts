import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { call, type Kurento } from '../common/kurento.ts';
import { candidateOf, type Client, type Tutorial } from '../common/TutorialServer.ts';
import { IceCandidateQueue } from '../common/IceCandidateQueue.ts';
import { playWhenConnected } from '../common/playback.ts';

/** The page's `mode` values (Kurento's Java page) and `format` (Fluo's addition: WEBM or MP4). */
const MODES = ['video-and-audio', 'video-only', 'audio-only'] as const;
type Mode = (typeof MODES)[number];
const FORMATS = { webm: { ext: 'webm', profile: 'WEBM' }, mp4: { ext: 'mp4', profile: 'MP4' } } as const;
type Format = keyof typeof FORMATS;

interface Session {
  pipeline?: Kurento;
  recorder?: Kurento;
  queue: IceCandidateQueue;
  released: boolean;
}

export interface RecorderOptions {
  /**
   * Folder the recordings go to (the media server writes them, so it names a folder on
   * the media server's machine). Default: FLUO_RECORDINGS_DIR, else
   * `<os.tmpdir()>/fluo-recorder-tutorial`.
   */
  recordingsDir?: string;
}

/** The KMD profile for a mode, e.g. MP4 + video-only = MP4_VIDEO_ONLY. */
function profileOf(format: Format, mode: Mode): string {
  const base = FORMATS[format].profile;
  return mode === 'video-only' ? `${base}_VIDEO_ONLY` : mode === 'audio-only' ? `${base}_AUDIO_ONLY` : base;
}

/**
 * Hello World with recording (Kurento's "Recorder" tutorial, Java version's protocol,
 * WebSocket `/recording`). Start: the camera loops back through a WebRtcEndpoint and a
 * RecorderEndpoint records it in the chosen profile. Stop: the recording is finished
 * (stopAndWait) and the pipeline released. Play: a second pipeline plays the file
 * through a PlayerEndpoint into a receive-only WebRtcEndpoint; `playEnd` on
 * EndOfStream or a player Error.
 * Messages: start{sdpOffer, mode, format?} -> startResponse{sdpAnswer};
 * play{sdpOffer} -> playResponse{sdpAnswer} ... playEnd; stop; stopPlay;
 * onIceCandidate -> iceCandidate; error. Fluo adds `recording{uri}` (the Recorder's
 * `Recording` event) so the page can say when the file is being written.
 */
export function recorder(kurento: Kurento, opts: RecorderOptions = {}): Tutorial {
  const dir = path.resolve(opts.recordingsDir ?? process.env.FLUO_RECORDINGS_DIR ?? path.join(os.tmpdir(), 'fluo-recorder-tutorial'));
  const sessions = new Map<Client, Session>();
  /** Each user's last recording, what Play plays. */
  const lastRecording = new Map<Client, string>();
  /** A release in progress per user: Play right after Stop must find the file finished. */
  const releasing = new Map<Client, Promise<void>>();

  /** Finishes a session's recording and releases its pipeline; `released` stops its pending steps. */
  const releaseSession = (client: Client, s: Session): Promise<void> => {
    s.released = true;
    const done = (async () => {
      // stopAndWait before release: the file is complete (its index and duration written)
      // when the user may press Play; release alone would finish it in the background.
      if (s.recorder) await call(s.recorder, 'stopAndWait').catch(() => undefined);
      if (s.pipeline) await call(s.pipeline, 'release').catch(() => undefined);
    })();
    releasing.set(client, done);
    return done.finally(() => { if (releasing.get(client) === done) releasing.delete(client); });
  };

  const release = (client: Client): Promise<void> => {
    const s = sessions.get(client);
    sessions.delete(client);
    return s ? releaseSession(client, s) : (releasing.get(client) ?? Promise.resolve());
  };

  /**
   * Replaces the user's session with a new one and gives it a pipeline and a
   * WebRtcEndpoint that trickles its candidates to the page. The session exists before
   * anything is awaited: the page's candidates follow its offer at once.
   */
  const open = async (client: Client, beforeCreate?: () => void): Promise<{ session: Session; pipeline: Kurento; webRtc: Kurento } | undefined> => {
    const previous = sessions.get(client);
    const session: Session = { queue: new IceCandidateQueue(), released: false };
    sessions.set(client, session);
    if (previous) await releaseSession(client, previous);
    else await releasing.get(client);
    beforeCreate?.();
    const pipeline = await call<Kurento>(kurento, 'create', 'MediaPipeline');
    session.pipeline = pipeline;
    if (session.released || client.closed) { await call(pipeline, 'release'); return undefined; }
    const webRtc = await call<Kurento>(pipeline, 'create', 'WebRtcEndpoint');
    webRtc.on('IceCandidateFound', (event: { candidate: unknown }) => client.send({ id: 'iceCandidate', candidate: event.candidate }));
    await session.queue.attach(webRtc);
    return { session, pipeline, webRtc };
  };

  const start = async (client: Client, sdpOffer: string, mode: Mode, format: Format): Promise<void> => {
    const opened = await open(client);
    if (!opened) return;
    const { session, pipeline, webRtc } = opened;
    fs.mkdirSync(dir, { recursive: true });
    const uri = pathToFileURL(path.join(dir, `recording-${Date.now()}-${client.id}.${FORMATS[format].ext}`)).href;
    const rec = await call<Kurento>(pipeline, 'create', 'RecorderEndpoint', { uri, mediaProfile: profileOf(format, mode) });
    session.recorder = rec;
    lastRecording.set(client, uri);
    await call(webRtc, 'connect', webRtc);
    // connectAccordingToProfile in Kurento's tutorial: a one-kind profile gets one kind.
    if (mode === 'video-and-audio') await call(webRtc, 'connect', rec);
    else await call(webRtc, 'connect', rec, mode === 'video-only' ? 'VIDEO' : 'AUDIO');
    // record() once media reaches the recorder, as the KMD documentation of
    // RecorderEndpoint advises: started earlier, the file would begin with nothing.
    let recordCalled = false;
    rec.on('MediaFlowInStateChanged', (event: { state: string }) => {
      if (event.state !== 'FLOWING' || recordCalled || session.released) return;
      recordCalled = true;
      call(rec, 'record').catch((err: Error) => client.error(`Could not record: ${err.message}`));
    });
    rec.on('Recording', () => client.send({ id: 'recording', uri }));
    rec.on('Error', (event: { description?: string }) => client.error(`Recorder error: ${event.description ?? 'unknown'}`));
    const sdpAnswer = await call<string>(webRtc, 'processOffer', sdpOffer);
    client.send({ id: 'startResponse', sdpAnswer });
    await call(webRtc, 'gatherCandidates');
  };

  const play = async (client: Client, sdpOffer: string): Promise<void> => {
    const found: { uri?: string } = {};
    // The recording to play is known once the previous session (perhaps the recording
    // itself) is finished.
    const opened = await open(client, () => { found.uri = lastRecording.get(client); });
    if (!opened) return;
    const uri = found.uri;
    if (!uri) {
      await release(client);
      return client.error('Nothing recorded yet: press Start, then Stop, then Play');
    }
    const { session, pipeline, webRtc } = opened;
    const player = await call<Kurento>(pipeline, 'create', 'PlayerEndpoint', { uri });
    await call(player, 'connect', webRtc);
    playWhenConnected(client, player, webRtc, { released: () => session.released, release: () => release(client) });
    const sdpAnswer = await call<string>(webRtc, 'processOffer', sdpOffer);
    client.send({ id: 'playResponse', sdpAnswer });
    await call(webRtc, 'gatherCandidates');
  };

  const guarded = async (client: Client, what: string, run: () => Promise<void>): Promise<void> => {
    try {
      await run();
    } catch (err) {
      await release(client);
      client.error(`Could not ${what}: ${(err as Error).message}`);
    }
  };

  return {
    path: '/recording',
    staticDir: fileURLToPath(new URL('./static/', import.meta.url)),
    async onMessage(client, message) {
      switch (message.id) {
        case 'start': {
          if (typeof message.sdpOffer !== 'string') return client.error('start needs an sdpOffer string');
          const mode = (message.mode ?? 'video-and-audio') as Mode;
          if (!MODES.includes(mode)) return client.error(`start: mode is one of ${MODES.join(', ')}`);
          const format = (message.format ?? 'webm') as Format;
          if (!Object.hasOwn(FORMATS, format)) return client.error(`start: format is one of ${Object.keys(FORMATS).join(', ')}`);
          return guarded(client, 'start', () => start(client, message.sdpOffer as string, mode, format));
        }
        case 'play':
          if (typeof message.sdpOffer !== 'string') return client.error('play needs an sdpOffer string');
          return guarded(client, 'play', () => play(client, message.sdpOffer as string));
        case 'stop':
        case 'stopPlay':
          return release(client);
        case 'onIceCandidate': {
          const c = candidateOf(message);
          if (!c) return client.error('onIceCandidate needs a candidate object');
          if (!sessions.has(client)) return client.error('No session: send start or play first');
          return sessions.get(client)!.queue.add(c);
        }
        default:
          return client.error(`Invalid message with id ${String(message.id)}`);
      }
    },
    onClose: async (client) => {
      await release(client);
      lastRecording.delete(client);
    },
  };
}
