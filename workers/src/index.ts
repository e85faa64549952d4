// Public surface of @sagaport/workers.
export { selectWorkers, workerNames } from './selection.js';
