import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { call, type Kurento } from '../common/kurento.ts';
import { candidateOf, type Client, type Tutorial } from '../common/TutorialServer.ts';
import { IceCandidateQueue } from '../common/IceCandidateQueue.ts';
import { playWhenConnected } from '../common/playback.ts';

interface Session {
  pipeline?: Kurento;
  player?: Kurento;
  queue: IceCandidateQueue;
  released: boolean;
}

export interface PlayerOptions {
  /**
   * What the page's URL field starts with. Default: FLUO_PLAYER_URL, else a 10 s WebM
   * that the tutorial makes with gst-launch-1.0 in a temp folder when it starts (a
   * file:// URL, so the media server must run on this machine to read it).
   */
  defaultUrl?: string;
}

/**
 * The sample clip: moving SMPTE bars with the running time written on them (so a seek or a
 * pause shows in the picture) and a tone, VP8 and Opus, a keyframe every second so seeks land quickly.
 * Made here rather than downloaded: the tutorial needs no network.
 */
export async function makeSampleClip(file: string, seconds: number): Promise<void> {
  const video = `videotestsrc pattern=smpte horizontal-speed=4 num-buffers=${seconds * 25} ! video/x-raw,width=640,height=360,framerate=25/1`
    + ' ! timeoverlay halignment=center valignment=center font-desc=Sans,40'
    + ' ! vp8enc deadline=1 cpu-used=8 keyframe-max-dist=25 target-bitrate=800000 ! queue ! mux.video_0';
  const audio = `audiotestsrc wave=sine freq=440 num-buffers=${seconds * 50} samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=2`
    + ' ! audioconvert ! opusenc ! queue ! mux.audio_0';
  const pipeline = `${video} ${audio} webmmux name=mux ! filesink location=${file}`;
  await promisify(execFile)('gst-launch-1.0', ['-q', '-e', ...pipeline.split(' ')]);
}

/** The default video: a 10 s sample clip in a new temp folder. */
async function defaultClip(): Promise<{ url: string; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluo-player-tutorial-'));
  const file = path.join(dir, 'sample.webm');
  await makeSampleClip(file, 10);
  return { url: pathToFileURL(file).href, dir };
}

/**
 * Kurento's "Player" tutorial (Java version's protocol, WebSocket `/player`): a
 * PlayerEndpoint plays the URL the user typed (file, http(s), rtsp) into a receive-only
 * WebRtcEndpoint. Messages: start{sdpOffer, videourl} -> startResponse{sdpAnswer}, then
 * videoInfo{isSeekable, initSeekable, endSeekable, videoDuration} once the browser is
 * connected and after each resume; pause; resume; doSeek{position} (ms) -> seek{message}
 * when refused; getPosition -> position{position}; stop; onIceCandidate -> iceCandidate;
 * playEnd on EndOfStream or a player Error; error{message}. Fluo adds defaultUrl ->
 * defaultUrl{url} (what the URL field starts with) and an `error` carrying the player's
 * Error before its playEnd, so a bad URL is explained in the page.
 */
export function player(kurento: Kurento, opts: PlayerOptions = {}): Tutorial {
  const sessions = new Map<Client, Session>();
  const given = opts.defaultUrl ?? process.env.FLUO_PLAYER_URL;
  // Made once, when the tutorial starts, so the first Start does not wait for it.
  const sample = given ? undefined : defaultClip();
  sample?.catch((err: Error) => console.error(`player: could not make the sample clip with gst-launch-1.0: ${err.message}`));
  const defaultUrl = given ? Promise.resolve(given) : sample!.then((s) => s.url);

  const release = async (client: Client): Promise<void> => {
    const s = sessions.get(client);
    if (!s) return;
    sessions.delete(client);
    s.released = true;
    if (s.pipeline) await call(s.pipeline, 'release').catch(() => undefined);
  };

  const sendVideoInfo = async (client: Client, p: Kurento): Promise<void> => {
    const info = await call<{ isSeekable: boolean; seekableInit: number; seekableEnd: number; duration: number }>(p, 'getVideoInfo');
    client.send({ id: 'videoInfo', isSeekable: info.isSeekable, initSeekable: info.seekableInit, endSeekable: info.seekableEnd, videoDuration: info.duration });
  };

  const start = async (client: Client, sdpOffer: string, videourl: string): Promise<void> => {
    await release(client);
    // The session exists before anything is awaited: the page's candidates follow its offer at once.
    const session: Session = { queue: new IceCandidateQueue(), released: false };
    sessions.set(client, session);
    const pipeline = await call<Kurento>(kurento, 'create', 'MediaPipeline');
    session.pipeline = pipeline;
    if (session.released || client.closed) { await call(pipeline, 'release'); return; }
    const webRtc = await call<Kurento>(pipeline, 'create', 'WebRtcEndpoint');
    webRtc.on('IceCandidateFound', (event: { candidate: unknown }) => client.send({ id: 'iceCandidate', candidate: event.candidate }));
    await session.queue.attach(webRtc);
    const p = await call<Kurento>(pipeline, 'create', 'PlayerEndpoint', { uri: videourl });
    session.player = p;
    await call(p, 'connect', webRtc);
    // Kurento's handler keeps the pipeline after playEnd until the next start or stop;
    // released here, an ended video leaves nothing on the media server. videoInfo once
    // playing, as the Java tutorial sends it when the browser is connected.
    playWhenConnected(client, p, webRtc, { released: () => session.released, release: () => release(client), onPlaying: () => sendVideoInfo(client, p) });
    const sdpAnswer = await call<string>(webRtc, 'processOffer', sdpOffer);
    client.send({ id: 'startResponse', sdpAnswer });
    await call(webRtc, 'gatherCandidates');
  };

  /** The user's player, or undefined (the Java handler ignores these messages without a session). */
  const playerOf = (client: Client): Kurento | undefined => {
    const s = sessions.get(client);
    return s && !s.released ? s.player : undefined;
  };

  return {
    path: '/player',
    staticDir: fileURLToPath(new URL('./static/', import.meta.url)),
    async onMessage(client, message) {
      switch (message.id) {
        case 'defaultUrl':
          try {
            return client.send({ id: 'defaultUrl', url: await defaultUrl });
          } catch (err) {
            return client.error(`No sample video (gst-launch-1.0 failed: ${(err as Error).message}); type a URL`);
          }
        case 'start': {
          if (typeof message.sdpOffer !== 'string') return client.error('start needs an sdpOffer string');
          if (typeof message.videourl !== 'string' || !message.videourl.trim()) return client.error('start needs a videourl');
          try {
            return await start(client, message.sdpOffer, message.videourl.trim());
          } catch (err) {
            await release(client);
            return client.error(`Could not start: ${(err as Error).message}`);
          }
        }
        case 'pause': {
          const p = playerOf(client);
          if (p) await call(p, 'pause');
          return;
        }
        case 'resume': {
          const p = playerOf(client);
          if (!p) return;
          await call(p, 'play');
          return sendVideoInfo(client, p);
        }
        case 'doSeek': {
          const p = playerOf(client);
          if (!p) return;
          const position = Number(message.position);
          if (!Number.isFinite(position) || position < 0) return client.send({ id: 'seek', message: 'Seek failed: the position is a number of milliseconds' });
          try {
            await call(p, 'setPosition', Math.round(position));
          } catch (err) {
            client.send({ id: 'seek', message: `Seek failed: ${(err as Error).message}` });
          }
          return;
        }
        case 'getPosition': {
          const p = playerOf(client);
          if (p) client.send({ id: 'position', position: await call<number>(p, 'getPosition') });
          return;
        }
        case 'stop':
          return release(client);
        case 'onIceCandidate': {
          const c = candidateOf(message);
          if (!c) return client.error('onIceCandidate needs a candidate object');
          if (!sessions.has(client)) return client.error('No session: send start first');
          return sessions.get(client)!.queue.add(c);
        }
        default:
          return client.error(`Invalid message with id ${String(message.id)}`);
      }
    },
    onClose: (client) => release(client),
    async close() {
      const made = await sample?.catch(() => undefined);
      if (made) fs.rmSync(made.dir, { recursive: true, force: true });
    },
  };
}
