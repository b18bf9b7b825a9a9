/**
 * One line of text from a cleaned plate crop, by Debian's `tesseract` CLI (apt
 * `tesseract-ocr` + `tesseract-ocr-eng`, both in install.sh).
 *
 * Why the CLI: it is offline by construction (tesseract.js fetches its models from a CDN
 * unless pointed at local files), a crash or a hang takes one child, not the server, and
 * a timeout can kill it. The picture goes in as a PGM on stdin (no temp file to clean up,
 * and never a file name or URL that tesseract could open by itself); `tsv` output gives
 * each word's confidence. Options, each measured on rendered plates:
 *  - `--psm 7`: a single text line;
 *  - a whitelist A-Z 0-9: plates have nothing else;
 *  - the English word lists off: with them `8886AJR` read as `SSS6AJR` (a "word" bias);
 *  - OMP_THREAD_LIMIT=1: one small picture loses time to OpenMP's threads (132 ms per
 *    call against 165 ms, 10 calls each), and the media workers need the other cores.
 */
import { spawn } from 'node:child_process';
import { encodePgm, type GrayImage } from './GrayImage.ts';

export interface OcrResult {
  /** Words as read, joined by single spaces; '' when nothing was read. */
  readonly text: string;
  /** The least confident word's confidence, 0-100; -1 when nothing was read. */
  readonly confidence: number;
}

/** What the reader needs of an OCR engine; tests and other engines can stand in. */
export interface OcrEngine {
  /** Rejects when the engine failed (missing, crashed, timed out), not when it read nothing. */
  recognise(img: GrayImage): Promise<OcrResult>;
}

export interface TesseractOptions {
  /** The executable (default `tesseract` from PATH). */
  readonly command?: string;
  /** Kill the process after this long (default 5000 ms; a call takes 0.1-0.5 s here). */
  readonly timeoutMs?: number;
  /** Characters tesseract may return (default A-Z 0-9). */
  readonly whitelist?: string;
}

const DEFAULT_WHITELIST = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export class TesseractOcr implements OcrEngine {
  readonly #command: string;
  readonly #timeoutMs: number;
  readonly #whitelist: string;

  constructor(opts: TesseractOptions = {}) {
    this.#command = opts.command ?? 'tesseract';
    this.#timeoutMs = opts.timeoutMs ?? 5000;
    this.#whitelist = opts.whitelist ?? DEFAULT_WHITELIST;
  }

  recognise(img: GrayImage): Promise<OcrResult> {
    const args = [
      'stdin', 'stdout', '-l', 'eng', '--psm', '7',
      '-c', `tessedit_char_whitelist=${this.#whitelist}`,
      '-c', 'load_system_dawg=0', '-c', 'load_freq_dawg=0',
      'tsv',
    ];
    return new Promise<OcrResult>((resolve, reject) => {
      const child = spawn(this.#command, args, {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, OMP_THREAD_LIMIT: '1' },
      });
      const out: Buffer[] = [];
      let err = '';
      let settled = false;
      const finish = (e: Error | undefined, r?: OcrResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (e) reject(e);
        else resolve(r!);
      };
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        finish(new Error(`tesseract timed out after ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => { if (err.length < 2000) err += b.toString(); });
      child.on('error', (e) => finish(new Error(`tesseract could not run: ${e.message}`)));
      child.on('close', (code, signal) => {
        if (code === 0) finish(undefined, parseTsv(Buffer.concat(out).toString('utf8')));
        else finish(new Error(`tesseract exited with ${signal ?? code}: ${err.trim().slice(0, 300)}`));
      });
      // EPIPE when tesseract died before reading all: its exit says why.
      child.stdin.on('error', () => {});
      child.stdin.end(encodePgm(img));
    });
  }
}

/** tesseract's TSV: level 5 rows are words, conf in column 11 and text in 12. */
export function parseTsv(tsv: string): OcrResult {
  const words: string[] = [];
  let confidence = Infinity;
  for (const line of tsv.split('\n')) {
    const cols = line.split('\t');
    if (cols.length < 12 || cols[0] !== '5') continue;
    const conf = Number(cols[10]);
    const text = cols[11]!.trim();
    if (!text || !Number.isFinite(conf) || conf < 0) continue;
    words.push(text);
    confidence = Math.min(confidence, conf);
  }
  return words.length ? { text: words.join(' '), confidence } : { text: '', confidence: -1 };
}
