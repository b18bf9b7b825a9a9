'use strict';
// One-to-many page: the messages of Kurento's "One to many" Node tutorial. one2many-switch
// uses it too: its <body data-path> names its socket, and its own messages go to the
// `onOtherMessage` of its switch.js.
var webRtcPeer;
const $ = (id) => document.getElementById(id);

const signalling = openSignalling(document.body.dataset.path || '/one2many', (m) => {
  switch (m.id) {
    case 'presenterResponse':
    case 'viewerResponse':
      if (m.response !== 'accepted') {
        setStatus('Not accepted: ' + (m.message || 'unknown reason'), 'error');
        return dispose();
      }
      if (!webRtcPeer) return;
      webRtcPeer.processAnswer(m.sdpAnswer, (err) => {
        if (err) return setStatus('Could not use the answer: ' + err, 'error');
        setStatus(m.id === 'presenterResponse' ? 'You are presenting' + (m.number ? ' as presenter ' + m.number : '') + '.' : 'You are watching the presenter.', 'ok');
      });
      break;
    case 'iceCandidate':
      if (webRtcPeer) webRtcPeer.addIceCandidate(m.candidate, () => undefined);
      break;
    case 'stopCommunication':
      setStatus('The presenter stopped.', '');
      dispose();
      break;
    case 'error':
      dispose();
      break;
    default:
      if (typeof onOtherMessage === 'function') onOtherMessage(m);
  }
});

function begin(role) {
  $('presenter').disabled = true;
  $('viewer').disabled = true;
  $('stop').disabled = false;
  setStatus(role === 'presenter' ? 'Starting the camera…' : 'Connecting to the presenter…', '');
  const options = { onicecandidate: (candidate) => signalling.send({ id: 'onIceCandidate', candidate }) };
  if (role === 'presenter') options.localVideo = $('video'); else options.remoteVideo = $('video');
  const Peer = role === 'presenter' ? kurentoUtils.WebRtcPeer.WebRtcPeerSendonly : kurentoUtils.WebRtcPeer.WebRtcPeerRecvonly;
  webRtcPeer = Peer(options, function (err) {
    if (err) { setStatus('Error: ' + err, 'error'); return dispose(); }
    this.generateOffer((err2, sdpOffer) => {
      if (err2) { setStatus('Offer error: ' + err2, 'error'); return dispose(); }
      signalling.send({ id: role, sdpOffer });
    });
  });
}

function dispose() {
  if (webRtcPeer) { webRtcPeer.dispose(); webRtcPeer = null; }
  $('presenter').disabled = false;
  $('viewer').disabled = false;
  $('stop').disabled = true;
}

$('presenter').onclick = () => begin('presenter');
$('viewer').onclick = () => begin('viewer');
$('stop').onclick = () => { signalling.send({ id: 'stop' }); dispose(); setStatus('Stopped.', ''); };
window.addEventListener('beforeunload', () => signalling.send({ id: 'stop' }));
