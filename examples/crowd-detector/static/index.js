'use strict';
// Crowd Detector page: Hello World's messages plus the crowd events the server forwards
// as the Java tutorial names them: occupancyEvent, fluidityEvent {roiId, level,
// percentage} and directionEvent {roiId, angle} (degrees, 0 = up, clockwise).
function row(roiId) {
  const table = document.getElementById('crowd');
  let tr = table.querySelector('tr[data-roi="' + CSS.escape(roiId) + '"]');
  if (!tr) {
    tr = document.createElement('tr');
    tr.dataset.roi = roiId;
    for (const cls of ['roi', 'occupancy', 'fluidity', 'direction']) {
      const td = document.createElement('td');
      td.className = cls;
      tr.append(td);
    }
    tr.querySelector('.roi').textContent = roiId;
    table.append(tr);
  }
  return tr;
}

loopbackPage('/crowddetector', (m) => {
  const levelOf = (e) => 'level ' + e.level + ' (' + Number(e.percentage).toFixed(0) + '%)';
  switch (m.id) {
    case 'occupancyEvent':
      row(m.roiId).querySelector('.occupancy').textContent = levelOf(m);
      break;
    case 'fluidityEvent':
      row(m.roiId).querySelector('.fluidity').textContent = levelOf(m);
      break;
    case 'directionEvent':
      row(m.roiId).querySelector('.direction').textContent = Number(m.angle).toFixed(0) + '°';
      break;
    default:
      return false;
  }
  log(m.id + ' ' + JSON.stringify(m));
  return true;
});
