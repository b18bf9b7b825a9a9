import type { MediaEngine } from './MediaEngine.ts';

/** What a media node that lives partly in the engine (recorder, player) needs: its worker's engine and its pipeline's id there. */
export interface NodeEngine {
  readonly engine: MediaEngine;
  readonly pipeline: string;
}
