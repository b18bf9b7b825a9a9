/**
 * OCR text to plate text: what `PlateDetected.plate` carries.
 *
 * Kurento does not fix a format (its example is Spanish, `8886AJR`, and plates vary by
 * country), so any 5-9 letters and digits pass, spaces and punctuation removed. Only
 * where a known syntax makes a confusion unambiguous is a character changed: a 7-char
 * text that is 4 digit-like then 3 letter-like characters (Spain's format since 2000) has
 * `O`->`0`, `S`->`5`, `B`->`8`... in its digit half and the reverse in its letter half,
 * and only up to two such changes (more means the read is unreliable, not mistyped).
 */

export const MIN_PLATE_LENGTH = 5;
export const MAX_PLATE_LENGTH = 9;

/** Letters OCR gives for digits, and the digits it gives for letters, in bold sans fonts. */
const AS_DIGIT: Readonly<Record<string, string>> = { O: '0', Q: '0', D: '0', I: '1', L: '1', Z: '2', S: '5', B: '8', G: '6', T: '7' };
const AS_LETTER: Readonly<Record<string, string>> = { '0': 'O', '1': 'I', '2': 'Z', '4': 'A', '5': 'S', '6': 'G', '7': 'T', '8': 'B' };

interface Syntax {
  /** One entry per position: does it hold a digit or a letter. */
  readonly pattern: readonly ('digit' | 'letter')[];
  readonly maxFixes: number;
}

const SYNTAXES: readonly Syntax[] = [
  { pattern: ['digit', 'digit', 'digit', 'digit', 'letter', 'letter', 'letter'], maxFixes: 2 },
];

/** The plate in `raw` OCR text, or undefined when it is not plausibly a plate. */
export function normalisePlate(raw: string): string | undefined {
  const text = raw.toUpperCase().replace(/[^A-Z0-9]/g, '');
  if (text.length < MIN_PLATE_LENGTH || text.length > MAX_PLATE_LENGTH) return undefined;
  const fixed = SYNTAXES.map((s) => applySyntax(text, s)).find((t) => t !== undefined) ?? text;
  // Almost every plate has a digit; a run of letters alone is a texture read as text.
  return /[0-9]/.test(fixed) ? fixed : undefined;
}

function applySyntax(text: string, syntax: Syntax): string | undefined {
  if (text.length !== syntax.pattern.length) return undefined;
  let fixes = 0;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const isDigit = c >= '0' && c <= '9';
    if (syntax.pattern[i] === 'digit') {
      if (isDigit) { out += c; continue; }
      const d = AS_DIGIT[c];
      if (d === undefined) return undefined;
      out += d;
    } else {
      if (!isDigit) { out += c; continue; }
      const l = AS_LETTER[c];
      if (l === undefined) return undefined;
      out += l;
    }
    fixes++;
  }
  return fixes <= syntax.maxFixes ? out : undefined;
}
