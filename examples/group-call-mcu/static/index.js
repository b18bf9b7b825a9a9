'use strict';
// Group call through a Composite: one WebRtcPeer sends the camera and receives the room's mix.
const $ = (id) => document.getElementById(id);
let webRtcPeer = null;

const signalling = openSignalling('/groupcallmcu', (m) => {
  switch (m.id) {
    case 'joined':
      setStatus('In room ' + $('room').value + '. Recording to ' + m.recording, 'ok');
      showParticipants(m.participants);
      startMedia();
      break;
    case 'participants':
      showParticipants(m.names);
      break;
    case 'answer':
      webRtcPeer.processAnswer(m.sdpAnswer, (err) => { if (err) log('answer error: ' + err); });
      break;
    case 'iceCandidate':
      if (webRtcPeer) webRtcPeer.addIceCandidate(m.candidate, () => undefined);
      break;
  }
});

function showParticipants(names) {
  $('participants').textContent = names.length + ' in the room: ' + names.join(', ');
}

function startMedia() {
  const options = {
    localVideo: $('videoInput'),
    remoteVideo: $('videoOutput'),
    onicecandidate: (candidate) => signalling.send({ id: 'onIceCandidate', candidate }),
  };
  webRtcPeer = kurentoUtils.WebRtcPeer.WebRtcPeerSendrecv(options, function (err) {
    if (err) return log('media error: ' + err);
    this.generateOffer((err2, sdpOffer) => {
      if (err2) return log('offer error: ' + err2);
      signalling.send({ id: 'offer', sdpOffer });
    });
  });
}

$('join').onclick = () => {
  const name = $('name').value.trim();
  if (!name) return setStatus('Type your name first.', 'error');
  signalling.send({ id: 'joinRoom', name, room: $('room').value.trim() });
  $('join').disabled = true; $('leave').disabled = false;
};
$('leave').onclick = () => {
  signalling.send({ id: 'leaveRoom' });
  if (webRtcPeer) webRtcPeer.dispose();
  webRtcPeer = null;
  $('join').disabled = false; $('leave').disabled = true;
  $('participants').textContent = '';
  setStatus('You left the room.', '');
};
window.addEventListener('beforeunload', () => signalling.send({ id: 'leaveRoom' }));
