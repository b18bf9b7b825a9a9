import type { EngineErrorCode, EngineFailure } from './protocol.ts';

/** A failed engine request: thrown in the child, rebuilt in the parent from its `EngineFailure`. */
export class EngineError extends Error {
  readonly code: EngineErrorCode;

  constructor(code: EngineErrorCode, message: string) {
    super(message);
    this.name = 'EngineError';
    this.code = code;
  }

  toFailure(): EngineFailure {
    return { code: this.code, message: this.message };
  }
}
