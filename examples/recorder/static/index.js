'use strict';
// Hello World with recording: the messages of Kurento's Java tutorial (start{mode}, stop,
// play, stopPlay, onIceCandidate; startResponse, playResponse, playEnd, iceCandidate,
// error), plus `format` (webm or mp4) and Fluo's `recording` notice.
const I_CAN_START = 0, IN_CALL = 1, IN_PLAY = 2, BUSY = 3;
let webRtcPeer;
let state = I_CAN_START;
let recorded = false;
const startButton = document.getElementById('start');
const stopButton = document.getElementById('stop');
const playButton = document.getElementById('play');

function setState(next) {
  state = next;
  startButton.disabled = next !== I_CAN_START;
  playButton.disabled = next !== I_CAN_START || !recorded;
  stopButton.disabled = next === I_CAN_START;
  for (const input of document.querySelectorAll('input[type=radio]')) input.disabled = next !== I_CAN_START;
}

const checked = (name) => document.querySelector(`input[name="${name}"]:checked`).value;

// As Kurento's getConstraints(): the mode decides what the camera offers, and what a
// receive-only peer asks to receive when playing.
function constraints() {
  const mode = checked('mode');
  return { audio: mode !== 'video-only', video: mode !== 'audio-only' };
}

const signalling = openSignalling('/recording', (m) => {
  switch (m.id) {
    case 'startResponse':
    case 'playResponse':
      if (!webRtcPeer) return;
      webRtcPeer.processAnswer(m.sdpAnswer, (err) => {
        if (err) return setStatus('Could not use the answer: ' + err, 'error');
        setStatus(m.id === 'startResponse' ? 'Connected: waiting for media to record…' : 'Playing the recording…', 'ok');
        log(m.id + ' processed');
      });
      break;
    case 'recording':
      recorded = true;
      setStatus('Recording to ' + m.uri, 'ok');
      log('recording ' + m.uri);
      break;
    case 'playEnd':
      log('playEnd');
      stopLocal();
      setStatus('The recording ended. Press Play to see it again, or Start to record anew.', 'ok');
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

function negotiate(Peer, options, id, extra) {
  options.onicecandidate = (candidate) => signalling.send({ id: 'onIceCandidate', candidate });
  options.mediaConstraints = constraints();
  webRtcPeer = Peer(options, function (err) {
    if (err) { setStatus('WebRTC error: ' + err, 'error'); return stopLocal(); }
    this.generateOffer((err2, sdpOffer) => {
      if (err2) { setStatus('Offer error: ' + err2, 'error'); return stopLocal(); }
      signalling.send(Object.assign({ id, sdpOffer }, extra));
      log(id + ' sent');
    });
  });
}

function start() {
  setState(BUSY);
  recorded = false;
  setStatus('Starting camera and negotiating…', '');
  negotiate(kurentoUtils.WebRtcPeer.WebRtcPeerSendrecv, {
    localVideo: document.getElementById('videoInput'),
    remoteVideo: document.getElementById('videoOutput'),
  }, 'start', { mode: checked('mode'), format: checked('format') });
  state = IN_CALL;
}

function play() {
  setState(BUSY);
  setStatus('Asking for the recording…', '');
  negotiate(kurentoUtils.WebRtcPeer.WebRtcPeerRecvonly, { remoteVideo: document.getElementById('videoOutput') }, 'play', {});
  state = IN_PLAY;
}

function stopLocal() {
  if (webRtcPeer) { webRtcPeer.dispose(); webRtcPeer = null; }
  setState(I_CAN_START);
}

function stop() {
  // As Kurento's page: `stop` ends the recording call, `stopPlay` the playback.
  signalling.send({ id: state === IN_PLAY ? 'stopPlay' : 'stop' });
  stopLocal();
  setStatus(recorded ? 'Stopped. Press Play to see the recording.' : 'Stopped.', '');
}

startButton.onclick = start;
stopButton.onclick = stop;
playButton.onclick = play;
window.addEventListener('beforeunload', () => signalling.send({ id: 'stop' }));
