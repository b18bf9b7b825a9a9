// Helpers shared by Fluo's tutorial pages: status line, log, and the signalling socket.
'use strict';

function setStatus(text, kind) {
  const el = document.getElementById('status');
  el.textContent = text;
  el.className = kind || '';
}

function log(text) {
  const el = document.getElementById('log');
  if (!el) return;
  const line = document.createElement('div');
  line.textContent = new Date().toLocaleTimeString() + '  ' + text;
  el.prepend(line);
}

// onOpen (optional) runs once the socket is open, e.g. to ask the server for defaults.
function openSignalling(path, onMessage, onOpen) {
  const ws = new WebSocket('wss://' + location.host + path);
  ws.onopen = () => { setStatus('Connected to the application server. Press Start.', ''); if (onOpen) onOpen(); };
  ws.onclose = () => setStatus('Disconnected from the application server. Reload the page.', 'error');
  ws.onerror = () => setStatus('Cannot reach the application server.', 'error');
  ws.onmessage = (e) => {
    let m;
    try { m = JSON.parse(e.data); } catch (err) { log('Unreadable message from the server'); return; }
    if (m.id === 'error') { setStatus('Error: ' + m.message, 'error'); log('error: ' + m.message); }
    onMessage(m);
  };
  return {
    send(message) {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
      else setStatus('Not connected to the application server.', 'error');
    },
  };
}

// The page of a loopback tutorial (camera -> Fluo, through a filter or not -> back), with
// Hello World's messages; `onEvent` gets the tutorial's own messages (window events,
// crowd events, ...) and says whether it knew them.
function loopbackPage(path, onEvent) {
  let webRtcPeer;
  const startButton = document.getElementById('start');
  const stopButton = document.getElementById('stop');
  const signalling = openSignalling(path, (m) => {
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
        if (!onEvent(m)) log('unexpected message ' + m.id);
    }
  });
  function stopLocal() {
    if (webRtcPeer) { webRtcPeer.dispose(); webRtcPeer = null; }
    startButton.disabled = false;
    stopButton.disabled = true;
  }
  startButton.onclick = () => {
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
  };
  stopButton.onclick = () => {
    signalling.send({ id: 'stop' });
    stopLocal();
    setStatus('Stopped.', '');
  };
  window.addEventListener('beforeunload', () => signalling.send({ id: 'stop' }));
  return signalling;
}
