'use strict';
// Data-channel page: the Hello World messages, plus a data channel whose text comes back.
// The Show DataChannel page uses it too, with its own WebSocket path (body data-ws).
var webRtcPeer;
let channel;
const $ = (id) => document.getElementById(id);

const signalling = openSignalling(document.body.dataset.ws || '/datachannel', (m) => {
  switch (m.id) {
    case 'startResponse':
      if (!webRtcPeer) return;
      webRtcPeer.processAnswer(m.sdpAnswer, (err) => {
        if (err) return setStatus('Could not use the answer: ' + err, 'error');
        setStatus('Connected: video and data go through Fluo.', 'ok');
      });
      break;
    case 'iceCandidate':
      if (webRtcPeer) webRtcPeer.addIceCandidate(m.candidate, () => undefined);
      break;
    case 'error':
      stopLocal();
      break;
  }
});

function start() {
  $('start').disabled = true;
  $('stop').disabled = false;
  setStatus('Starting camera and negotiating…', '');
  const options = {
    localVideo: $('videoInput'),
    remoteVideo: $('videoOutput'),
    dataChannels: true,
    dataChannelConfig: {
      id: 'fluo',
      onopen: () => { $('text').disabled = false; $('send').disabled = false; log('data channel open'); },
      onclose: () => { $('text').disabled = true; $('send').disabled = true; log('data channel closed'); },
      onmessage: (e) => { const d = document.createElement('div'); d.className = 'echo'; d.textContent = e.data; $('received').append(d); },
    },
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

function send() {
  const text = $('text').value;
  if (!text) return;
  webRtcPeer.send(text);
  $('text').value = '';
}

function stopLocal() {
  if (webRtcPeer) { webRtcPeer.dispose(); webRtcPeer = null; }
  $('start').disabled = false;
  $('stop').disabled = true;
  $('text').disabled = true;
  $('send').disabled = true;
}

$('start').onclick = start;
$('stop').onclick = () => { signalling.send({ id: 'stop' }); stopLocal(); setStatus('Stopped.', ''); };
$('send').onclick = send;
window.addEventListener('beforeunload', () => signalling.send({ id: 'stop' }));
