// Starts a TypeScript worker thread: Node 20 does not carry the parent's tsx loader into workers, and a worker's
// entry is loaded before its own --import hooks are ready, so register tsx here and import the .ts module after.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.tsEntry);
