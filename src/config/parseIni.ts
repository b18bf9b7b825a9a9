/**
 * The `*.conf.ini` format of Kurento's module settings: `key=value` lines, `;` or `#`
 * comment lines, optional `[section]` headers (keys are flattened; the last wins).
 * Inline comments are not supported, as in Kurento ("no inline `;` comments").
 */
export function parseIni(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, n) => {
    const line = raw.trim();
    if (!line || line.startsWith(';') || line.startsWith('#') || /^\[.*\]$/.test(line)) return;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new SyntaxError(`line ${n + 1}: expected key=value, got '${line}'`);
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  });
  return out;
}
