'use strict';
// Send DataChannel page: a receive-only peer with a data channel of its own; the codes
// Fluo's KmsSendData reads arrive on it (Kurento's page passes its own peer connection
// with the channel to WebRtcPeerRecvonly; kurento-utils' dataChannels option does the same).
var webRtcPeer;
const $ = (id) => document.getElementById(id);

const signalling = openSignalling('/senddatachannel', (m) => {
  switch (m.id) {
    case 'startResponse':
      if (!webRtcPeer) return;
      webRtcPeer.processAnswer(m.sdpAnswer, (err) => {
        if (err) return setStatus('Could not use the answer: ' + err, 'error');
        setStatus('Connected: the video plays and its codes come over the data channel.', 'ok');
      });
      break;
    case 'iceCandidate':
      if (webRtcPeer) webRtcPeer.addIceCandidate(m.candidate, () => undefined);
      break;
    case 'playEnd':
      setStatus('The video ended.', '');
      stopLocal();
      break;
    case 'error':
      stopLocal();
      break;
  }
});

function start() {
  $('start').disabled = true;
  $('stop').disabled = false;
  setStatus('Negotiating…', '');
  const options = {
    remoteVideo: $('videoOutput'),
    dataChannels: true,
    dataChannelConfig: {
      id: 'codes',
      onopen: () => log('data channel open'),
      onclose: () => log('data channel closed'),
      onmessage: (e) => { const d = document.createElement('div'); d.className = 'code'; d.textContent = e.data; $('received').prepend(d); },
    },
    onicecandidate: (candidate) => signalling.send({ id: 'onIceCandidate', candidate }),
  };
  webRtcPeer = kurentoUtils.WebRtcPeer.WebRtcPeerRecvonly(options, function (err) {
    if (err) { setStatus('Error: ' + err, 'error'); return stopLocal(); }
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
