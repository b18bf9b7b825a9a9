'use strict';
// Plate detector with Orion: the plate detector's page, plus the entities the
// application reads back from the context broker (entities{camera, events}).
function cell(text) {
  const td = document.createElement('td');
  td.textContent = text === undefined ? '' : typeof text === 'string' ? decodeURIComponent(text) : JSON.stringify(text);
  return td;
}
loopbackPage('/platedetector', (m) => {
  if (m.id === 'plateDetected') {
    const item = document.createElement('li');
    item.className = 'plate';
    item.textContent = m.plate;
    document.getElementById('plates').append(item);
    log('License plate detected ' + m.plate);
    return true;
  }
  if (m.id !== 'entities') return false;
  document.getElementById('broker').textContent = '(' + m.brokerUrl + ')';
  const body = document.querySelector('#entities tbody');
  body.innerHTML = '';
  for (const e of [m.camera, ...m.events].filter(Boolean)) {
    const tr = document.createElement('tr');
    tr.className = e.type === 'Camera' ? 'camera' : 'mediaevent';
    tr.dataset.id = e.id;
    tr.append(cell(e.id), cell(e.type), cell(e.eventType ?? e.cameraUsage), cell(e.data ?? e.cameraName), cell(e.dateCreated), cell(e.deviceSource));
    body.append(tr);
  }
  return true;
});
