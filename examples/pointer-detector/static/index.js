'use strict';
// Pointer Detector page: Hello World's messages plus `calibrate`, and the window events
// the server forwards as the Java tutorial names them (windowIn / windowOut {roiId}).
const calibrateButton = document.getElementById('calibrate');

function windowEvent(kind, roiId) {
  const item = document.createElement('li');
  item.className = kind;
  item.textContent = kind + ' ' + roiId;
  document.getElementById('windows').prepend(item);
  log(kind + ' ' + roiId);
}

const signalling = loopbackPage('/pointerdetector', (m) => {
  if (m.id !== 'windowIn' && m.id !== 'windowOut') return false;
  windowEvent(m.id, m.roiId);
  return true;
});

calibrateButton.onclick = () => {
  signalling.send({ id: 'calibrate' });
  log('calibrating');
};
// Calibration makes sense while a call runs.
new MutationObserver(() => { calibrateButton.disabled = document.getElementById('stop').disabled; })
  .observe(document.getElementById('stop'), { attributes: true });
