'use strict';
// RTP Receiver page: the messages of Kurento's Java tutorial (PROCESS_SDP_OFFER,
// ADD_ICE_CANDIDATE, STOP; PROCESS_SDP_ANSWER, SHOW_CONN_INFO, SHOW_SDP_ANSWER,
// END_PLAYBACK), plus Fluo's SHOW_EVENT (the endpoints' events).
let webRtcPeer;
let codecTimer;
const startButton = document.getElementById('start');
const stopButton = document.getElementById('stop');
const video = document.getElementById('videoRtp');

const signalling = openSignalling('/rtpreceiver', (m) => {
  switch (m.id) {
    case 'PROCESS_SDP_ANSWER':
      if (!webRtcPeer) return;
      webRtcPeer.processAnswer(m.sdpAnswer, (err) => {
        if (err) return setStatus('Could not use the answer: ' + err, 'error');
        setStatus('Negotiated: start the RTP sender with the info below.', 'ok');
      });
      break;
    case 'SHOW_CONN_INFO':
      document.getElementById('msgConnInfo').value = m.text;
      document.getElementById('gstCommand').textContent = m.command;
      break;
    case 'SHOW_SDP_ANSWER':
      document.getElementById('msgSdpText').value = m.text;
      break;
    case 'SHOW_EVENT':
      log(m.text);
      break;
    case 'ADD_ICE_CANDIDATE':
      if (webRtcPeer) webRtcPeer.addIceCandidate(m.candidate, (err) => { if (err) log('candidate rejected: ' + err); });
      break;
    case 'END_PLAYBACK':
      stopLocal();
      break;
    case 'error':
      stopLocal();
      break;
    default:
      log('unexpected message ' + m.id);
  }
});

// Says which codec the browser decodes: the sender's H.264 arrives as VP8 when Fluo
// transcodes for a VP8 browser, or as H.264 when the browser negotiated it.
async function showCodec() {
  if (!webRtcPeer) return;
  const stats = await webRtcPeer.peerConnection.getStats();
  let inbound;
  stats.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video' && s.framesDecoded > 0) inbound = s; });
  if (!inbound) return;
  const codec = stats.get(inbound.codecId);
  document.getElementById('codec').textContent = `${codec ? codec.mimeType : '?'}, ${inbound.frameWidth}x${inbound.frameHeight}, ${inbound.framesDecoded} frames decoded`;
  setStatus('Receiving the RTP stream.', 'ok');
}

function start() {
  startButton.disabled = true;
  stopButton.disabled = false;
  setStatus('Negotiating…', '');
  const options = {
    remoteVideo: video,
    mediaConstraints: { audio: true, video: true },
    onicecandidate: (candidate) => signalling.send({ id: 'ADD_ICE_CANDIDATE', candidate }),
  };
  webRtcPeer = kurentoUtils.WebRtcPeer.WebRtcPeerRecvonly(options, function (err) {
    if (err) { setStatus('WebRTC error: ' + err, 'error'); return stopLocal(); }
    this.generateOffer((err2, sdpOffer) => {
      if (err2) { setStatus('Offer error: ' + err2, 'error'); return stopLocal(); }
      signalling.send({ id: 'PROCESS_SDP_OFFER', sdpOffer, useComedia: document.getElementById('useComedia').checked, useSrtp: false });
    });
  });
  codecTimer = setInterval(() => void showCodec(), 1000);
}

function stopLocal() {
  clearInterval(codecTimer);
  if (webRtcPeer) { webRtcPeer.dispose(); webRtcPeer = null; }
  startButton.disabled = false;
  stopButton.disabled = true;
}

function stop() {
  signalling.send({ id: 'STOP' });
  stopLocal();
  setStatus('Stopped.', '');
}

startButton.onclick = start;
stopButton.onclick = stop;
window.addEventListener('beforeunload', () => signalling.send({ id: 'STOP' }));
