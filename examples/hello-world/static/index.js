'use strict';
// Hello World page: same messages as Kurento's tutorial (start, stop, onIceCandidate).
// Filter tutorials with the same messages (chroma) serve it with their own page, whose
// <body data-ws="/chroma"> names their signalling path.
let webRtcPeer;
const startButton = document.getElementById('start');
const stopButton = document.getElementById('stop');

const signalling = openSignalling(document.body.dataset.ws || '/helloworld', (m) => {
  switch (m.id) {
    case 'startResponse':
      if (!webRtcPeer) return;
      webRtcPeer.processAnswer(m.sdpAnswer, (err) => {
        if (err) return setStatus('Could not use the answer: ' + err, 'error');
        setStatus('Connected: media is flowing through Fluo.', 'ok');
        log('answer processed');
      });
      break;
    case 'iceCandidate':
      if (webRtcPeer) webRtcPeer.addIceCandidate(m.candidate, (err) => { if (err) log('candidate rejected: ' + err); });
      break;
    case 'error':
      stopLocal();
      break;
    default:
      log('unexpected message ' + m.id);
  }
});

function start() {
  startButton.disabled = true;
  stopButton.disabled = false;
  setStatus('Starting camera and negotiating…', '');
  const options = {
    localVideo: document.getElementById('videoInput'),
    remoteVideo: document.getElementById('videoOutput'),
    onicecandidate: (candidate) => signalling.send({ id: 'onIceCandidate', candidate }),
  };
  webRtcPeer = kurentoUtils.WebRtcPeer.WebRtcPeerSendrecv(options, function (err) {
    if (err) { setStatus('Camera error: ' + err, 'error'); return stopLocal(); }
    this.generateOffer((err2, sdpOffer) => {
      if (err2) { setStatus('Offer error: ' + err2, 'error'); return stopLocal(); }
      signalling.send({ id: 'start', sdpOffer });
      log('offer sent');
    });
  });
}

function stopLocal() {
  if (webRtcPeer) { webRtcPeer.dispose(); webRtcPeer = null; }
  startButton.disabled = false;
  stopButton.disabled = true;
}

function stop() {
  signalling.send({ id: 'stop' });
  stopLocal();
  setStatus('Stopped.', '');
}

startButton.onclick = start;
stopButton.onclick = stop;
window.addEventListener('beforeunload', () => signalling.send({ id: 'stop' }));
