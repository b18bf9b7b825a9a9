import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { call, registerModule, type Kurento } from '../common/kurento.ts';
import { candidateOf, type Client, type Tutorial } from '../common/TutorialServer.ts';
import { IceCandidateQueue } from '../common/IceCandidateQueue.ts';
import { playWhenConnected } from '../common/playback.ts';

const run = promisify(execFile);

/** What the sample clip's QR code says. */
export const SAMPLE_CODE = 'https://fluo.example/send-data-channel';

/**
 * The sample clip: a QR code of SAMPLE_CODE, still, 20 s of VP8 (qrencode, then
 * gst-launch-1.0). Kurento's tutorial plays barcodes.webm from files.kurento.org; this
 * one needs no network.
 */
async function sampleClip(): Promise<{ url: string; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluo-send-data-channel-'));
  const png = path.join(dir, 'code.png');
  const file = path.join(dir, 'barcodes.webm');
  await run('qrencode', ['-t', 'PNG', '-l', 'M', '-s', '8', '-m', '4', '-o', png, SAMPLE_CODE]);
  await run('gst-launch-1.0', ['-q', '-e', ...`filesrc location=${png} ! pngdec ! imagefreeze num-buffers=600 ! video/x-raw,framerate=30/1 ! videoconvert ! videoscale ! video/x-raw,width=640,height=480,pixel-aspect-ratio=1/1 ! vp8enc deadline=1 cpu-used=8 keyframe-max-dist=30 ! webmmux ! filesink location=${file}`.split(' ')]);
  return { url: pathToFileURL(file).href, dir };
}

interface Session { pipeline?: Kurento; queue: IceCandidateQueue; released: boolean }

/**
 * Send DataChannel (Kurento tutorial "WebRTC outgoing Data Channels",
 * kurento-send-data-channel): a PlayerEndpoint plays a video with a QR code into a
 * KmsSendData, which sends what it reads over the data channel of the page's
 * receive-only WebRtcEndpoint (useDataChannels): PlayerEndpoint -> KmsSendData ->
 * WebRtcEndpoint. Messages as Hello World's on `/senddatachannel`, plus playEnd when
 * the video ends (Kurento's Java handler's). The application loads the
 * datachannelexample client module, as the original does.
 */
export function sendDataChannel(kurento: Kurento): Tutorial {
  registerModule('kurento-module-datachannelexample');
  const sessions = new Map<Client, Session>();
  // Made once, when the tutorial starts, so the first Start does not wait for it.
  const clip = sampleClip();
  clip.catch((err: Error) => console.error(`send-data-channel: could not make the sample clip (qrencode, gst-launch-1.0): ${err.message}`));

  const release = async (client: Client): Promise<void> => {
    const s = sessions.get(client);
    if (!s) return;
    sessions.delete(client);
    s.released = true;
    if (s.pipeline) await call(s.pipeline, 'release').catch(() => undefined);
  };

  const start = async (client: Client, sdpOffer: string): Promise<void> => {
    await release(client);
    const session: Session = { queue: new IceCandidateQueue(), released: false };
    sessions.set(client, session);
    const { url } = await clip;
    const pipeline = await call<Kurento>(kurento, 'create', 'MediaPipeline');
    session.pipeline = pipeline;
    if (session.released || client.closed) { await call(pipeline, 'release'); return; }
    const webRtc = await call<Kurento>(pipeline, 'create', 'WebRtcEndpoint', { useDataChannels: true });
    webRtc.on('IceCandidateFound', (event: { candidate: unknown }) => client.send({ id: 'iceCandidate', candidate: event.candidate }));
    await session.queue.attach(webRtc);
    const player = await call<Kurento>(pipeline, 'create', 'PlayerEndpoint', { uri: url });
    const sendData = await call<Kurento>(pipeline, 'create', 'KmsSendData');
    await call(player, 'connect', sendData);
    await call(sendData, 'connect', webRtc);
    playWhenConnected(client, player, webRtc, { released: () => session.released, release: () => release(client) });
    const sdpAnswer = await call<string>(webRtc, 'processOffer', sdpOffer);
    client.send({ id: 'startResponse', sdpAnswer });
    await call(webRtc, 'gatherCandidates');
  };

  return {
    path: '/senddatachannel',
    staticDir: fileURLToPath(new URL('./static/', import.meta.url)),
    async onMessage(client, message) {
      switch (message.id) {
        case 'start':
          if (typeof message.sdpOffer !== 'string') return client.error('start needs an sdpOffer string');
          try {
            return await start(client, message.sdpOffer);
          } catch (err) {
            await release(client);
            return client.error(`Could not start: ${(err as Error).message}`);
          }
        case 'stop':
          return release(client);
        case 'onIceCandidate': {
          const c = candidateOf(message);
          if (!c) return client.error('onIceCandidate needs a candidate object');
          const s = sessions.get(client);
          if (!s) return client.error('No session: send start first');
          return s.queue.add(c);
        }
        default:
          return client.error(`Invalid message id '${String(message.id)}'`);
      }
    },
    onClose: (client) => release(client),
    close: async () => {
      const made = await clip.catch(() => undefined);
      if (made) fs.rmSync(made.dir, { recursive: true, force: true });
    },
  };
}
