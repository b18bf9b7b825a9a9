'use strict';
// Group-call page: the messages of Kurento's "Group call" tutorial.
const $ = (id) => document.getElementById(id);
const peers = new Map(); // name -> { webRtcPeer, figure }
let me = null;

const signalling = openSignalling('/groupcall', (m) => {
  switch (m.id) {
    case 'existingParticipants':
      setStatus('In room ' + $('room').value + ' as ' + me + ' (' + (m.data.length + 1) + ' people).', 'ok');
      addPeer(me, true);
      m.data.forEach((name) => addPeer(name, false));
      break;
    case 'newParticipantArrived':
      log(m.name + ' joined');
      addPeer(m.name, false);
      break;
    case 'participantLeft':
      log(m.name + ' left');
      removePeer(m.name);
      break;
    case 'receiveVideoAnswer': {
      const p = peers.get(m.name);
      if (p) p.webRtcPeer.processAnswer(m.sdpAnswer, (err) => { if (err) log('answer error for ' + m.name + ': ' + err); });
      break;
    }
    case 'iceCandidate': {
      const p = peers.get(m.name);
      if (p) p.webRtcPeer.addIceCandidate(m.candidate, () => undefined);
      break;
    }
  }
});

function addPeer(name, local) {
  if (peers.has(name)) return;
  const figure = document.createElement('figure');
  figure.dataset.name = name;
  const caption = document.createElement('figcaption');
  caption.textContent = local ? name + ' (you)' : name;
  const video = document.createElement('video');
  video.autoplay = true; video.playsInline = true; video.muted = true;
  figure.append(caption, video);
  $('participants').append(figure);
  const options = {
    onicecandidate: (candidate) => signalling.send({ id: 'onIceCandidate', name, candidate }),
  };
  if (local) options.localVideo = video; else options.remoteVideo = video;
  const Peer = local ? kurentoUtils.WebRtcPeer.WebRtcPeerSendonly : kurentoUtils.WebRtcPeer.WebRtcPeerRecvonly;
  const webRtcPeer = Peer(options, function (err) {
    if (err) return log('media error for ' + name + ': ' + err);
    this.generateOffer((err2, sdpOffer) => {
      if (err2) return log('offer error for ' + name + ': ' + err2);
      signalling.send({ id: 'receiveVideoFrom', sender: name, sdpOffer });
    });
  });
  peers.set(name, { webRtcPeer, figure });
}

function removePeer(name) {
  const p = peers.get(name);
  if (!p) return;
  p.webRtcPeer.dispose();
  p.figure.remove();
  peers.delete(name);
}

$('join').onclick = () => {
  me = $('name').value.trim();
  if (!me) return setStatus('Type your name first.', 'error');
  signalling.send({ id: 'joinRoom', name: me, room: $('room').value.trim() });
  $('join').disabled = true; $('leave').disabled = false;
};
$('leave').onclick = () => {
  signalling.send({ id: 'leaveRoom' });
  for (const name of [...peers.keys()]) removePeer(name);
  $('join').disabled = false; $('leave').disabled = true;
  setStatus('You left the room.', '');
};
window.addEventListener('beforeunload', () => signalling.send({ id: 'leaveRoom' }));
