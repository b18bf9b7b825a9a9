/**
 * A parent process for the parent-death test (faults.test.ts): starts an engine with a
 * running pipeline, prints the engine's pid, and waits to be SIGKILLed.
 */
import { EngineProcess } from '../../src/engine/EngineProcess.ts';

const engine = await EngineProcess.start();
await engine.request('addBin', { pipeline: 'p', bin: 'tone', description: 'audiotestsrc is-live=true ! level ! fakesink' });
process.stdout.write(`${JSON.stringify({ engine: engine.pid })}\n`);
setInterval(() => { /* stay alive until killed */ }, 1000);
