import { fileURLToPath } from 'node:url';
import { call, type Kurento } from '../common/kurento.ts';
import { candidateOf, type Client, type Tutorial } from '../common/TutorialServer.ts';
import { IceCandidateQueue } from '../common/IceCandidateQueue.ts';

interface Session { pipeline?: Kurento; queue: IceCandidateQueue; stopped: boolean }

/**
 * What the sender announces, as in Kurento's Java tutorial: H.264 video (payload 103,
 * SSRC 112233) and Opus audio (96, 445566) from this machine.
 */
const SENDER = { ip: '127.0.0.1', audioPort: 5006, videoPort: 5004, audioSsrc: 445566, videoSsrc: 112233, cname: 'user@example.com' };

/**
 * The RtpEndpoint's offer, as the Java tutorial writes it: the external sender's
 * features. With COMEDIA (RFC 4145's `a=direction:active`, ports 9), the media server
 * learns the sender's address from its first packet instead.
 */
export function senderOffer(useComedia: boolean): string {
  const comedia = useComedia ? 'a=direction:active\r\n' : '';
  const port = (p: number) => (useComedia ? 9 : p);
  return `v=0\r\no=- 0 0 IN IP4 ${SENDER.ip}\r\ns=Fluo Tutorial - RTP Receiver\r\nc=IN IP4 ${SENDER.ip}\r\nt=0 0\r\n`
    + `m=audio ${port(SENDER.audioPort)} RTP/AVPF 96\r\na=rtpmap:96 opus/48000/2\r\na=sendonly\r\n${comedia}a=ssrc:${SENDER.audioSsrc} cname:${SENDER.cname}\r\n`
    + `m=video ${port(SENDER.videoPort)} RTP/AVPF 103\r\na=rtpmap:103 H264/90000\r\na=rtcp-fb:103 goog-remb\r\na=sendonly\r\n${comedia}a=ssrc:${SENDER.videoSsrc} cname:${SENDER.cname}\r\n`;
}

export interface ConnectionInfo { ip: string; audioPort: number; videoPort: number; comedia: boolean }

/**
 * The media server's address and ports, read from its answer (as the Java tutorial's
 * regexes do). COMEDIA holds when the answer says `a=direction:passive` (Kurento) or
 * when it was asked for: Fluo latches to the first sender then but does not write the
 * attribute in its answer.
 */
export function connectionInfo(answer: string, askedComedia: boolean): ConnectionInfo {
  const num = (re: RegExp) => Number(re.exec(answer)?.[1] ?? NaN);
  const ip = /c=IN IP4 ([0-9.]+)/.exec(answer)?.[1] ?? '';
  return { ip, audioPort: num(/m=audio (\d+) RTP/), videoPort: num(/m=video (\d+) RTP/), comedia: askedComedia || answer.includes('a=direction:passive') };
}

/**
 * A sender for these ports: colour bars scrolling sideways in H.264 and a tone in Opus, with the
 * payload types and SSRCs of the offer. Written without quotes or spaces inside an
 * element's arguments, so that it can be pasted into a shell or split on spaces. Without
 * COMEDIA it sends from the announced ports (bind-port), the only ones the media server
 * accepts then.
 */
export function senderPipeline(info: ConnectionInfo): string {
  const bind = (p: number) => (info.comedia ? '' : ` bind-port=${p}`);
  return [
    'videotestsrc is-live=true pattern=smpte horizontal-speed=4 ! video/x-raw,width=640,height=480,framerate=30/1 ! videoconvert',
    '! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 ! video/x-h264,profile=constrained-baseline',
    `! rtph264pay pt=103 ssrc=${SENDER.videoSsrc} config-interval=-1 mtu=1200 ! udpsink host=${info.ip} port=${info.videoPort}${bind(SENDER.videoPort)}`,
    'audiotestsrc is-live=true wave=sine freq=440 ! audioconvert ! audioresample ! opusenc',
    `! rtpopuspay pt=96 ssrc=${SENDER.audioSsrc} ! udpsink host=${info.ip} port=${info.audioPort}${bind(SENDER.audioPort)}`,
  ].join(' ');
}

/** The events the Java tutorial listens to on both endpoints; it logs them, this app shows them in the page. */
const EVENTS = ['Error', 'MediaFlowInStateChanged', 'MediaFlowOutStateChanged', 'ConnectionStateChanged', 'MediaStateChanged', 'MediaTranscodingStateChanged'];

/**
 * RTP Receiver (Kurento's Java tutorial "RTP Receiver", its WebSocket protocol): an
 * RtpEndpoint takes a stream from an external sender and a receive-only WebRtcEndpoint
 * shows it in the page. The page sends PROCESS_SDP_OFFER{sdpOffer, useComedia}; the app
 * answers PROCESS_SDP_ANSWER{sdpAnswer}, then SHOW_CONN_INFO{text, command} (where to
 * send, and a gst-launch-1.0 sender for those ports) and SHOW_SDP_ANSWER{text} (the
 * RtpEndpoint's answer); ADD_ICE_CANDIDATE both ways; STOP -> END_PLAYBACK. Fluo adds
 * SHOW_EVENT{text}: the endpoints' events, which the Java app only logs. SRTP (the Java
 * page's "Sender uses SRTP") is left out.
 * The sender's H.264 reaches a VP8 browser through Fluo's transcoder; a browser that
 * negotiates H.264 gets it as sent.
 */
export function rtpReceiver(kurento: Kurento): Tutorial {
  const sessions = new Map<Client, Session>();

  const stop = async (client: Client): Promise<void> => {
    const s = sessions.get(client);
    sessions.delete(client);
    if (!s) return;
    s.stopped = true;
    client.send({ id: 'END_PLAYBACK' });
    if (s.pipeline) await call(s.pipeline, 'release').catch(() => undefined);
  };

  const listen = (client: Client, endpoint: Kurento, name: string): void => {
    for (const type of EVENTS) {
      endpoint.on(type, (ev: Record<string, unknown>) => {
        const { source: _s, tags: _t, timestamp: _ts, timestampMillis: _tm, type: _ty, ...details } = ev;
        client.send({ id: 'SHOW_EVENT', text: `${name} ${type} ${JSON.stringify(details)}` });
        if (type === 'Error') void stop(client);
      });
    }
  };

  const start = async (client: Client, sdpOffer: string, useComedia: boolean): Promise<void> => {
    await stop(client);
    const session: Session = { queue: new IceCandidateQueue(), stopped: false };
    sessions.set(client, session);
    const pipeline = await call<Kurento>(kurento, 'create', 'MediaPipeline');
    session.pipeline = pipeline;
    if (session.stopped || client.closed) { await call(pipeline, 'release'); return; }
    const webRtc = await call<Kurento>(pipeline, 'create', 'WebRtcEndpoint');
    const rtp = await call<Kurento>(pipeline, 'create', 'RtpEndpoint');
    listen(client, webRtc, 'WebRtcEndpoint');
    listen(client, rtp, 'RtpEndpoint');
    webRtc.on('IceCandidateFound', (event: { candidate: unknown }) => client.send({ id: 'ADD_ICE_CANDIDATE', candidate: event.candidate }));
    await session.queue.attach(webRtc);
    await call(rtp, 'connect', webRtc);
    const sdpAnswer = await call<string>(webRtc, 'processOffer', sdpOffer);
    client.send({ id: 'PROCESS_SDP_ANSWER', sdpAnswer });
    await call(webRtc, 'gatherCandidates');

    const rtpAnswer = await call<string>(rtp, 'processOffer', senderOffer(useComedia));
    const info = connectionInfo(rtpAnswer, useComedia);
    const text = ['SDP negotiation finished',
      `* Fluo listens for Audio RTP at port: ${info.audioPort}`,
      `* Fluo listens for Video RTP at port: ${info.videoPort}`,
      `* Fluo expects Audio SSRC from sender: ${SENDER.audioSsrc}`,
      `* Fluo expects Video SSRC from sender: ${SENDER.videoSsrc}`,
      `* Fluo local IP address: ${info.ip}`,
      info.comedia ? '* Fluo will discover remote IP and port to send RTCP'
        : `* Fluo sends Video RTCP to: ${SENDER.ip}:${SENDER.videoPort + 1}`].join('\n');
    client.send({ id: 'SHOW_CONN_INFO', text, command: `gst-launch-1.0 -e ${senderPipeline(info)}` });
    client.send({ id: 'SHOW_SDP_ANSWER', text: rtpAnswer });
  };

  return {
    path: '/rtpreceiver',
    staticDir: fileURLToPath(new URL('./static/', import.meta.url)),
    async onMessage(client, message) {
      switch (message.id) {
        case 'PROCESS_SDP_OFFER':
          if (typeof message.sdpOffer !== 'string') return client.error('PROCESS_SDP_OFFER needs an sdpOffer string');
          if (message.useSrtp === true) return client.error('This tutorial does not do SRTP: uncheck "Sender uses SRTP"');
          try {
            await start(client, message.sdpOffer, message.useComedia !== false);
          } catch (err) {
            await stop(client);
            client.error(`Could not start: ${(err as Error).message}`);
          }
          return;
        case 'STOP':
          return stop(client);
        case 'ADD_ICE_CANDIDATE': {
          const c = candidateOf(message);
          if (!c) return client.error('ADD_ICE_CANDIDATE needs a candidate object');
          if (!sessions.has(client)) return client.error('No session: send PROCESS_SDP_OFFER first');
          return sessions.get(client)!.queue.add(c);
        }
        default:
          return client.error(`Invalid message, id: ${String(message.id)}`);
      }
    },
    onClose: (client) => stop(client),
  };
}
