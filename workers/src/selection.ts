// Which workers a process runs: `node dist/main.js <name>…` picks some, no name means all.
import { Worker } from '@sagaport/rabbitmq';

export const workerNames: readonly Worker[] = Object.values(Worker);

/** Parses the worker names given on the command line; throws naming the unknown one and the valid ones. */
export function selectWorkers(args: readonly string[]): Worker[] {
  if (args.length === 0) return [...workerNames];
  return args.map((name) => {
    if (!(workerNames as readonly string[]).includes(name)) {
      throw new Error(`unknown worker "${name}"; choose from ${workerNames.join(', ')}`);
    }
    return name as Worker;
  });
}
