'use strict';
// one2many-switch's own messages, next to the one2many-call page's script (index.js):
// a button per presenter asks the server to show that presenter to the viewers.
function onOtherMessage(m) {
  if (m.id !== 'presenters') return log('unexpected message ' + m.id);
  const box = document.getElementById('presenters');
  box.textContent = m.numbers.length ? '' : 'none yet';
  for (const n of m.numbers) {
    const b = document.createElement('button');
    b.id = 'show-' + n;
    b.textContent = 'Presenter ' + n + (n === m.source ? ' (shown)' : '');
    // The one shown already is marked, and its button disabled.
    b.disabled = n === m.source;
    b.onclick = () => signalling.send({ id: 'switch', presenter: n });
    box.appendChild(b);
  }
  if (m.source) log('Showing presenter ' + m.source);
}
