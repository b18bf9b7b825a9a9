'use strict';
// Player page: the messages of Kurento's Java tutorial (start{videourl}, pause, resume,
// doSeek{position}, getPosition, stop, onIceCandidate; startResponse, videoInfo, seek,
// position, playEnd, iceCandidate, error), plus Fluo's defaultUrl (the URL field's
// first value, a sample the application made).
const I_CAN_START = 0, I_AM_STARTING = 1, I_CAN_STOP = 2;
let webRtcPeer;
let paused = false;
const video = document.getElementById('videoOutput');
const urlField = document.getElementById('videourl');
const startButton = document.getElementById('start');
const pauseButton = document.getElementById('pause');
const stopButton = document.getElementById('stop');
const seekButton = document.getElementById('doSeek');
const positionButton = document.getElementById('getPosition');

function setState(next) {
  startButton.disabled = next !== I_CAN_START;
  stopButton.disabled = next === I_CAN_START;
  pauseButton.disabled = next !== I_CAN_STOP;
  urlField.disabled = next !== I_CAN_START;
  for (const input of document.querySelectorAll('input[type=radio]')) input.disabled = next !== I_CAN_START;
  if (next === I_CAN_START) {
    // Seek and position need a playing video: videoInfo enables them again.
    seekButton.disabled = true;
    positionButton.disabled = true;
    setPaused(false);
  }
}

function setPaused(value) {
  paused = value;
  pauseButton.textContent = paused ? 'Resume' : 'Pause';
}

const signalling = openSignalling('/player', (m) => {
  switch (m.id) {
    case 'defaultUrl':
      if (!urlField.value) urlField.value = m.url;
      break;
    case 'startResponse':
      if (!webRtcPeer) return;
      setState(I_CAN_STOP);
      webRtcPeer.processAnswer(m.sdpAnswer, (err) => {
        if (err) return setStatus('Could not use the answer: ' + err, 'error');
        setStatus('Connecting the video…', '');
        log('startResponse processed');
      });
      break;
    case 'videoInfo':
      document.getElementById('isSeekable').value = String(m.isSeekable);
      document.getElementById('initSeek').value = m.initSeekable;
      document.getElementById('endSeek').value = m.endSeekable;
      document.getElementById('duration').value = m.videoDuration;
      seekButton.disabled = !m.isSeekable;
      positionButton.disabled = false;
      setStatus(paused ? 'Paused.' : 'Playing.', 'ok');
      log('videoInfo: seekable ' + m.isSeekable + ', duration ' + m.videoDuration + ' ms');
      break;
    case 'seek':
      setStatus(m.message, 'error');
      log('seek: ' + m.message);
      break;
    case 'position':
      document.getElementById('videoPosition').value = m.position;
      log('position ' + m.position + ' ms');
      break;
    case 'playEnd':
      log('playEnd');
      stopLocal();
      // An error just said why the player stopped: keep it in the status line.
      if (!document.getElementById('status').classList.contains('error')) setStatus('The video ended. Press Start to play it again.', 'ok');
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
}, () => signalling.send({ id: 'defaultUrl' }));

// As Kurento's page: the mode decides what the receive-only peer asks for.
function constraints() {
  const mode = document.querySelector('input[name="mode"]:checked').value;
  return { audio: mode !== 'video-only', video: mode !== 'audio-only' };
}

function start() {
  if (!urlField.value.trim()) return setStatus('Type the URL of a video first.', 'error');
  setState(I_AM_STARTING);
  setStatus('Negotiating…', '');
  const options = {
    remoteVideo: video,
    mediaConstraints: constraints(),
    onicecandidate: (candidate) => signalling.send({ id: 'onIceCandidate', candidate }),
  };
  webRtcPeer = kurentoUtils.WebRtcPeer.WebRtcPeerRecvonly(options, function (err) {
    if (err) { setStatus('WebRTC error: ' + err, 'error'); return stopLocal(); }
    this.generateOffer((err2, sdpOffer) => {
      if (err2) { setStatus('Offer error: ' + err2, 'error'); return stopLocal(); }
      signalling.send({ id: 'start', sdpOffer, videourl: urlField.value.trim() });
      log('start sent: ' + urlField.value.trim());
    });
  });
}

function togglePause() {
  setPaused(!paused);
  signalling.send({ id: paused ? 'pause' : 'resume' });
  log(paused ? 'pause sent' : 'resume sent');
  if (paused) setStatus('Paused.', 'ok');
}

function stopLocal() {
  if (webRtcPeer) { webRtcPeer.dispose(); webRtcPeer = null; }
  setState(I_CAN_START);
}

function stop() {
  signalling.send({ id: 'stop' });
  stopLocal();
  setStatus('Stopped.', '');
}

startButton.onclick = start;
pauseButton.onclick = togglePause;
stopButton.onclick = stop;
seekButton.onclick = () => {
  signalling.send({ id: 'doSeek', position: Number(document.getElementById('seekPosition').value) });
  log('doSeek ' + document.getElementById('seekPosition').value + ' ms');
};
positionButton.onclick = () => signalling.send({ id: 'getPosition' });
window.addEventListener('beforeunload', () => signalling.send({ id: 'stop' }));
