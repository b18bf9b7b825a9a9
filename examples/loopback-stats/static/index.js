'use strict';
// Loopback stats page: Hello World plus Fluo's stats (pushed by the app) and the browser's.
var webRtcPeer;
const $ = (id) => document.getElementById(id);
const ROWS = [
  ['Packets received by Fluo / by the browser', 'packetsReceived', 'inbound', 'packetsReceived'],
  ['Bytes received', 'bytesReceived', 'inbound', 'bytesReceived'],
  ['Packets sent by Fluo / by the browser', 'packetsSent', 'outbound', 'packetsSent'],
  ['Bytes sent', 'bytesSent', 'outbound', 'bytesSent'],
  ['Packets lost', 'packetsLost', 'inbound', 'packetsLost'],
  ['Jitter (s)', 'jitter', 'inbound', 'jitter'],
  ['Keyframe requests (PLI)', 'pliCount', 'outbound', 'pliCount'],
  ['REMB sent by Fluo (bps)', 'rembSent', 'inbound', 'none'],
  ['REMB received by Fluo (bps)', 'rembReceived', 'outbound', 'none'],
  ['Bitrate Fluo sends at, targetBitrate (bps)', 'targetBitrate', 'outbound', 'none'],
];
let browserStats = { inbound: {}, outbound: {} };

function render(fluo) {
  $('stats').innerHTML = '';
  for (const [label, key, side, bkey] of ROWS) {
    const tr = document.createElement('tr');
    const b = browserStats[side][bkey];
    [label, fluo[key], b === undefined ? '–' : b].forEach((v) => { const td = document.createElement('td'); td.textContent = typeof v === 'number' ? +v.toFixed(4) : v; tr.append(td); });
    tr.dataset.key = key;
    $('stats').append(tr);
  }
}

async function pollBrowser() {
  if (!webRtcPeer) return;
  const report = await webRtcPeer.peerConnection.getStats();
  report.forEach((s) => {
    if (s.kind !== 'video') return;
    if (s.type === 'inbound-rtp') browserStats.inbound = s;
    if (s.type === 'outbound-rtp') browserStats.outbound = s;
  });
}
setInterval(pollBrowser, 1000);

const signalling = openSignalling('/stats', (m) => {
  switch (m.id) {
    case 'startResponse':
      if (!webRtcPeer) return;
      webRtcPeer.processAnswer(m.sdpAnswer, (err) => {
        if (err) return setStatus('Could not use the answer: ' + err, 'error');
        setStatus('Connected: statistics refresh every second.', 'ok');
      });
      break;
    case 'iceCandidate':
      if (webRtcPeer) webRtcPeer.addIceCandidate(m.candidate, () => undefined);
      break;
    case 'stats':
      render(m.fluo);
      break;
    case 'error':
      stopLocal();
      break;
  }
});

function start() {
  $('start').disabled = true;
  $('stop').disabled = false;
  const options = {
    localVideo: $('videoInput'), remoteVideo: $('videoOutput'),
    onicecandidate: (candidate) => signalling.send({ id: 'onIceCandidate', candidate }),
  };
  webRtcPeer = kurentoUtils.WebRtcPeer.WebRtcPeerSendrecv(options, function (err) {
    if (err) { setStatus('Camera error: ' + err, 'error'); return stopLocal(); }
    this.generateOffer((err2, sdpOffer) => {
      if (err2) { setStatus('Offer error: ' + err2, 'error'); return stopLocal(); }
      signalling.send({ id: 'start', sdpOffer });
    });
  });
}

function stopLocal() {
  if (webRtcPeer) { webRtcPeer.dispose(); webRtcPeer = null; }
  $('start').disabled = false;
  $('stop').disabled = true;
}

$('start').onclick = start;
$('stop').onclick = () => { signalling.send({ id: 'stop' }); stopLocal(); setStatus('Stopped.', ''); };
window.addEventListener('beforeunload', () => signalling.send({ id: 'stop' }));
