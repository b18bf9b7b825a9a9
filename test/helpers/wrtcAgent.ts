/**
 * Runs @roamhq/wrtc peers in a child process driven over IPC. libwebrtc's native
 * teardown sometimes crashes at process exit (SIGSEGV after everything is closed), so
 * the peers live in a process the test kills, never in the test process itself.
 */
import { WrtcPeer } from './wrtcPeer.ts';
import type { DataChannel, WrtcPeerOptions } from './wrtcPeer.ts';

type Msg = { id: number; op: string; peer?: number; args?: Record<string, unknown> };

const peers = new Map<number, WrtcPeer>();
const channels = new Map<string, DataChannel>();
let nextPeer = 1;

function send(m: object): void {
  process.send?.(m);
}

function watchChannel(peer: number, ch: DataChannel): void {
  channels.set(`${peer}/${ch.label}`, ch);
  ch.onopen = () => send({ event: 'dcopen', peer, label: ch.label });
  if (ch.readyState === 'open') send({ event: 'dcopen', peer, label: ch.label });
  ch.onmessage = (e) => send({ event: 'dcmessage', peer, label: ch.label, data: String(e.data) });
}

async function handle(m: Msg): Promise<unknown> {
  const a = m.args ?? {};
  const p = m.peer !== undefined ? peers.get(m.peer) : undefined;
  switch (m.op) {
    case 'create': {
      const id = nextPeer++;
      const peer = new WrtcPeer(a as WrtcPeerOptions);
      peers.set(id, peer);
      peer.pc.onicecandidate = (e) => { if (e.candidate) send({ event: 'candidate', peer: id, candidate: { candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid, sdpMLineIndex: e.candidate.sdpMLineIndex } }); };
      peer.pc.ondatachannel = (e) => watchChannel(id, e.channel);
      return id;
    }
    case 'createDataChannel': watchChannel(m.peer!, p!.pc.createDataChannel(String(a.label))); return null;
    case 'sendData': channels.get(`${m.peer}/${String(a.label)}`)?.send(String(a.data)); return null;
    case 'offer': {
      const offer = await p!.pc.createOffer();
      await p!.pc.setLocalDescription(offer);
      return offer.sdp;
    }
    case 'answer': {
      await p!.pc.setRemoteDescription({ type: 'offer', sdp: String(a.sdp) });
      const answer = await p!.pc.createAnswer();
      await p!.pc.setLocalDescription(answer);
      return answer.sdp;
    }
    case 'restartOffer': {
      // An ICE restart offer (RFC 8445 §2.4), returned once gathered: its candidates in it.
      const offer = await p!.pc.createOffer({ iceRestart: true });
      await p!.pc.setLocalDescription(offer);
      const pc = p!.pc;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 3000);
        const check = (): void => { if (pc.iceGatheringState === 'complete') { clearTimeout(timer); resolve(); } };
        pc.onicegatheringstatechange = check;
        check();
      });
      return pc.localDescription!.sdp;
    }
    case 'remoteDescription': return p!.pc.remoteDescription?.sdp ?? null;
    case 'iceState': return p!.pc.iceConnectionState;
    case 'setAnswer': await p!.pc.setRemoteDescription({ type: 'answer', sdp: String(a.sdp) }); return null;
    case 'addCandidate': await p!.pc.addIceCandidate(a as { candidate: string }).catch(() => undefined); return null;
    case 'received': return { ...p!.received, checksums: p!.received.checksums.size, state: p!.pc.connectionState };
    case 'stats': {
      const out: Record<string, unknown>[] = [];
      for (const s of (await p!.pc.getStats()).values()) out.push(s);
      return out;
    }
    case 'close': p?.close(); peers.delete(m.peer!); return null;
    default: throw new Error(`unknown op ${m.op}`);
  }
}

process.on('message', (m: Msg) => {
  handle(m).then((value) => send({ reply: m.id, value }), (err: Error) => send({ reply: m.id, error: err.message }));
});
send({ event: 'ready' });
