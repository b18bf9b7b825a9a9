'use strict';
// One-to-one page: the messages of Kurento's "One to one call" Node tutorial.
var webRtcPeer;
const $ = (id) => document.getElementById(id);
// Accept incoming calls without asking when the page is opened with ?autoanswer (tests, kiosks).
const autoAnswer = new URLSearchParams(location.search).has('autoanswer');

const signalling = openSignalling('/one2one', (m) => {
  switch (m.id) {
    case 'registerResponse':
      if (m.response === 'accepted') {
        setStatus('Registered as ' + $('name').value + '. Call someone, or wait for a call.', 'ok');
        $('peer').disabled = false; $('call').disabled = false;
      } else setStatus('Registration refused: ' + m.message, 'error');
      break;
    case 'incomingCall':
      if (!autoAnswer && !confirm('Call from ' + m.from + '. Accept?')) {
        signalling.send({ id: 'incomingCallResponse', from: m.from, callResponse: 'reject', message: 'user declined' });
        return;
      }
      setStatus('Answering ' + m.from + '…', '');
      startPeer((sdpOffer) => signalling.send({ id: 'incomingCallResponse', from: m.from, callResponse: 'accept', sdpOffer }));
      break;
    case 'callResponse':
      if (m.response !== 'accepted') { setStatus('Call not accepted: ' + (m.message || ''), 'error'); return dispose(); }
      answer(m.sdpAnswer);
      break;
    case 'startCommunication':
      answer(m.sdpAnswer);
      break;
    case 'stopCommunication':
      setStatus('The call ended.', '');
      dispose();
      break;
    case 'iceCandidate':
      if (webRtcPeer) webRtcPeer.addIceCandidate(m.candidate, () => undefined);
      break;
  }
});

function answer(sdp) {
  if (!webRtcPeer) return;
  webRtcPeer.processAnswer(sdp, (err) => {
    if (err) return setStatus('Could not use the answer: ' + err, 'error');
    setStatus('In a call.', 'ok');
  });
}

function startPeer(withOffer) {
  $('call').disabled = true; $('stop').disabled = false;
  const options = {
    localVideo: $('videoInput'), remoteVideo: $('videoOutput'),
    onicecandidate: (candidate) => signalling.send({ id: 'onIceCandidate', candidate }),
  };
  webRtcPeer = kurentoUtils.WebRtcPeer.WebRtcPeerSendrecv(options, function (err) {
    if (err) { setStatus('Camera error: ' + err, 'error'); return dispose(); }
    this.generateOffer((err2, sdpOffer) => {
      if (err2) { setStatus('Offer error: ' + err2, 'error'); return dispose(); }
      withOffer(sdpOffer);
    });
  });
}

function dispose() {
  if (webRtcPeer) { webRtcPeer.dispose(); webRtcPeer = null; }
  $('call').disabled = $('peer').disabled;
  $('stop').disabled = true;
}

$('register').onclick = () => signalling.send({ id: 'register', name: $('name').value });
$('call').onclick = () => {
  setStatus('Calling ' + $('peer').value + '…', '');
  startPeer((sdpOffer) => signalling.send({ id: 'call', from: $('name').value, to: $('peer').value, sdpOffer }));
};
$('stop').onclick = () => { signalling.send({ id: 'stop' }); dispose(); setStatus('You hung up.', ''); };
window.addEventListener('beforeunload', () => signalling.send({ id: 'stop' }));
