/** Fluo's own JSONC and INI readers: Kurento's comment styles, and clear errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJsonc } from '../../src/config/parseJsonc.ts';
import { parseIni } from '../../src/config/parseIni.ts';

test('JSONC: // and /* */ comments, trailing commas, strings that look like comments', () => {
  const doc = `// head
  { /* a */ "a": "http://x//y", // tail
    "b": [1, -2.5e3, true, false, null,],
    "c": { "pw": "p, }/*x*/", },
  }`;
  assert.deepEqual(parseJsonc(doc), { a: 'http://x//y', b: [1, -2500, true, false, null], c: { pw: 'p, }/*x*/' } });
  assert.deepEqual(parseJsonc('{"s":"a \\" // not a comment \\u00e9\\n"}'), { s: 'a " // not a comment é\n' });
  assert.deepEqual(parseJsonc('\ufeff[]'), []);
});

test('JSONC: repeated members, the last wins (Kurento\'s "//" comment members); __proto__ is plain data', () => {
  assert.deepEqual(parseJsonc('{"//": "one", "//": "two", "port": 1, "port": 2}'), { '//': 'two', port: 2 });
  const o = parseJsonc('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.deepEqual(Object.keys(o), ['__proto__']);
});

test('JSONC: errors are SyntaxErrors with line and column', () => {
  const cases: Array<[string, RegExp]> = [
    ['{\n  "a": 1 /* open', /line 2, column 10: unterminated \/\* comment/],
    ['{ a: 1 }', /line 1, column 3: expected a "quoted" member name/],
    ['{"a": 1 "b": 2}', /expected ',' or '}' after the value of "a"/],
    ['{"a": 01}', /bad number/],
    ["{'a': 1}", /member name/],
    ['{"a": tru}', /expected a value/],
    ['{"a": "x\ny"}', /control character/],
    ['{"a": 1}}', /after the end of the document/],
    ['', /line 1, column 1: expected a value, found the end of the file/],
    ['[,]', /expected a value/],
    ['"\\x"', /bad escape/],
    ['['.repeat(1000), /nesting deeper/],
  ];
  for (const [text, re] of cases) {
    assert.throws(() => parseJsonc(text), (e: unknown) => e instanceof SyntaxError && re.test(e.message), text);
  }
});

test('INI: comment lines, key=value, sections become dotted keys, values kept as written', () => {
  const text = '; comment\n# comment\n  stunServerAddress = 127.0.0.1  \nturnURL=u:p;w@1.2.3.4:3478?transport=tcp\nempty=\n[extra]\nkey=v=w\r\n';
  assert.deepEqual(parseIni(text), {
    stunServerAddress: '127.0.0.1',
    turnURL: 'u:p;w@1.2.3.4:3478?transport=tcp',
    empty: '',
    'extra.key': 'v=w',
  });
});

test('INI: bad lines, empty keys, bad headers and repeated keys name the line', () => {
  assert.throws(() => parseIni('ok=1\nnot a pair'), /^SyntaxError: line 2: expected key=value/);
  assert.throws(() => parseIni('=1'), /line 1: missing key/);
  assert.throws(() => parseIni('[open\nk=v'), /line 1: a section header/);
  assert.throws(() => parseIni('minPort=1\n;x\nminPort=2'), /line 3: 'minPort' is set twice/);
  assert.deepEqual(parseIni('a=1\n[s]\na=2'), { a: '1', 's.a': '2' });
});
