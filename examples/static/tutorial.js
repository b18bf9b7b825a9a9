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
