// Bootstrap of a media worker thread: loads the TypeScript worker through tsx, whose
// loader hooks registered on the main thread do not reach worker threads in Node 20.
import { register } from 'tsx/esm/api';

register();
await import('./worker-main.ts');
