/**
 * JSON with comments, the dialect of Kurento's `kurento.conf.json`: `//` line comments
 * and `/* *\/` block comments anywhere whitespace may stand, and trailing commas in
 * objects and arrays (Kurento's shipped files have both). Everything else is strict
 * JSON (RFC 8259): double-quoted strings, JSON numbers, `true`/`false`/`null`.
 *
 * Our own recursive-descent reader rather than "strip comments, then JSON.parse",
 * because stripping with regular expressions breaks on strings that contain `//` or
 * `, }` (URLs, passwords), and because errors should say where: every failure is a
 * SyntaxError whose message starts with `line L, column C:`.
 *
 * Duplicate keys are allowed and the last one wins: Kurento's newer files write their
 * comments as repeated `"//": "..."` members.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Deeper nesting than this is refused (a config file never needs it; it keeps the stack safe). */
const MAX_DEPTH = 200;

export function parseJsonc(text: string): JsonValue {
  return new JsoncReader(text).document();
}

class JsoncReader {
  #pos = 0;

  constructor(private readonly text: string) {
    // A UTF-8 byte order mark is not JSON, but editors write it; skip it.
    if (text.charCodeAt(0) === 0xfeff) this.#pos = 1;
  }

  document(): JsonValue {
    this.#skip();
    const value = this.#value(0);
    this.#skip();
    if (this.#pos < this.text.length) this.#fail(`unexpected ${this.#describe()} after the end of the document`);
    return value;
  }

  #value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) this.#fail(`nesting deeper than ${MAX_DEPTH} levels`);
    const ch = this.text[this.#pos];
    switch (ch) {
      case '{': return this.#object(depth);
      case '[': return this.#array(depth);
      case '"': return this.#string();
      case 't': return this.#word('true', true);
      case 'f': return this.#word('false', false);
      case 'n': return this.#word('null', null);
      default:
        if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) return this.#number();
        return this.#fail(`expected a value, found ${this.#describe()}`);
    }
  }

  #object(depth: number): JsonValue {
    const out: { [key: string]: JsonValue } = {};
    this.#pos++; // {
    this.#skip();
    while (this.text[this.#pos] !== '}') {
      if (this.text[this.#pos] !== '"') this.#fail(`expected a "quoted" member name or '}', found ${this.#describe()}`);
      const key = this.#string();
      this.#skip();
      if (this.text[this.#pos] !== ':') this.#fail(`expected ':' after "${key}", found ${this.#describe()}`);
      this.#pos++;
      this.#skip();
      // defineProperty, so that a member named "__proto__" is data, not a prototype change.
      Object.defineProperty(out, key, { value: this.#value(depth + 1), enumerable: true, writable: true, configurable: true });
      this.#skip();
      if (this.text[this.#pos] === ',') {
        this.#pos++;
        this.#skip();
      } else if (this.text[this.#pos] !== '}') {
        this.#fail(`expected ',' or '}' after the value of "${key}", found ${this.#describe()}`);
      }
    }
    this.#pos++; // }
    return out;
  }

  #array(depth: number): JsonValue {
    const out: JsonValue[] = [];
    this.#pos++; // [
    this.#skip();
    while (this.text[this.#pos] !== ']') {
      out.push(this.#value(depth + 1));
      this.#skip();
      if (this.text[this.#pos] === ',') {
        this.#pos++;
        this.#skip();
      } else if (this.text[this.#pos] !== ']') {
        this.#fail(`expected ',' or ']' in an array, found ${this.#describe()}`);
      }
    }
    this.#pos++; // ]
    return out;
  }

  #string(): string {
    const start = this.#pos;
    this.#pos++; // opening quote
    let out = '';
    for (;;) {
      const ch = this.text[this.#pos];
      if (ch === undefined) this.#fail('unterminated string', start);
      if (ch === '"') break;
      if (ch < ' ') this.#fail('control character in a string (write it as an escape such as \\n)');
      if (ch !== '\\') {
        out += ch;
        this.#pos++;
        continue;
      }
      const esc = this.text[this.#pos + 1];
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (esc !== undefined && simple[esc] !== undefined) {
        out += simple[esc];
        this.#pos += 2;
      } else if (esc === 'u') {
        const hex = this.text.slice(this.#pos + 2, this.#pos + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.#fail('bad \\u escape (four hex digits expected)');
        out += String.fromCharCode(Number.parseInt(hex, 16));
        this.#pos += 6;
      } else {
        this.#fail(`bad escape '\\${esc ?? ''}' in a string`);
      }
    }
    this.#pos++; // closing quote
    return out;
  }

  #number(): number {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.text.slice(this.#pos, this.#pos + 400));
    if (!m) return this.#fail(`bad number starting with ${this.#describe()}`);
    const next = this.text[this.#pos + m[0].length];
    if (next !== undefined && /[0-9A-Za-z_.+-]/.test(next)) this.#fail(`bad number '${m[0]}${next}…'`);
    this.#pos += m[0].length;
    return Number(m[0]);
  }

  #word<T extends JsonValue>(word: string, value: T): T {
    if (this.text.startsWith(word, this.#pos) && !/[A-Za-z0-9_$]/.test(this.text[this.#pos + word.length] ?? '')) {
      this.#pos += word.length;
      return value;
    }
    return this.#fail(`expected a value, found ${this.#describe()} (strings need "double quotes")`);
  }

  /** Whitespace and comments. */
  #skip(): void {
    const t = this.text;
    for (;;) {
      const ch = t[this.#pos];
      if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
        this.#pos++;
      } else if (ch === '/' && t[this.#pos + 1] === '/') {
        const nl = t.indexOf('\n', this.#pos);
        this.#pos = nl < 0 ? t.length : nl + 1;
      } else if (ch === '/' && t[this.#pos + 1] === '*') {
        const end = t.indexOf('*/', this.#pos + 2);
        if (end < 0) this.#fail('unterminated /* comment');
        this.#pos = end + 2;
      } else {
        return;
      }
    }
  }

  #describe(): string {
    if (this.#pos >= this.text.length) return 'the end of the file';
    const ch = this.text[this.#pos]!;
    return /[\x21-\x7e]/.test(ch) ? `'${ch}'` : `character U+${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
  }

  #fail(message: string, at = this.#pos): never {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < at && i < this.text.length; i++) {
      if (this.text[i] === '\n') {
        line++;
        lineStart = i + 1;
      }
    }
    throw new SyntaxError(`line ${line}, column ${at - lineStart + 1}: ${message}`);
  }
}
