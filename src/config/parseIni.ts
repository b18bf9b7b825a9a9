/**
 * The `*.conf.ini` format of Kurento's module settings (KMS reads them with Boost's INI
 * reader into its property tree):
 *
 * - one `key=value` per line; spaces around key and value are trimmed, the value is
 *   kept as written otherwise (no quote removal: `turnURL=user:pa;ss@1.2.3.4:3478` keeps
 *   the `;`);
 * - lines whose first non-blank character is `;` or `#` are comments; there are no
 *   inline comments, as in Kurento;
 * - `[section]` headers are optional; keys under one are returned as `section.key`,
 *   which is where Kurento's property tree puts them too;
 * - a key given twice in the same section is an error (Boost refuses it as well), so a
 *   forgotten older line cannot silently win.
 *
 * Errors are SyntaxErrors whose message starts with `line N:`.
 */
export function parseIni(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let section = '';
  const lines = text.replace(/^\ufeff/, '').split(/\r?\n/);
  lines.forEach((raw, n) => {
    const line = raw.trim();
    if (!line || line.startsWith(';') || line.startsWith('#')) return;
    if (line.startsWith('[')) {
      const m = /^\[\s*([^\]]*?)\s*\]$/.exec(line);
      if (!m) throw new SyntaxError(`line ${n + 1}: a section header must be [name], got '${line}'`);
      section = m[1]!;
      return;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw new SyntaxError(`line ${n + 1}: expected key=value, got '${line}'`);
    const name = line.slice(0, eq).trim();
    if (!name) throw new SyntaxError(`line ${n + 1}: missing key before '='`);
    const key = section ? `${section}.${name}` : name;
    if (Object.hasOwn(out, key)) throw new SyntaxError(`line ${n + 1}: '${key}' is set twice`);
    Object.defineProperty(out, key, { value: line.slice(eq + 1).trim(), enumerable: true, writable: true, configurable: true });
  });
  return out;
}
