// One set-based statement for the calls a batch's handlers make side by side (a DataLoader per SQL handle).
import DataLoader from 'dataloader';
import type { WorkerSql } from './sql.js';

/** Runs one statement for `inputs` on `sql`; returns one output per input, in their order. */
export type SetStatement<I, O> = (sql: WorkerSql, inputs: readonly I[]) => Promise<readonly O[]>;

/**
 * Turns a set-based statement into a function of one input. The handlers of a batch start side
 * by side on the batch's transaction and each calls its domain function before its first await;
 * a DataLoader per SQL handle (the batch's transaction, or the reserved connection it runs on: one
 * transaction at a time) gathers the calls made in that turn of the event loop and runs
 * them as ONE statement, after the statements already sent (the inbox claim goes first), and
 * each call resolves with its own input's output. A call made later (after an await) goes into
 * a statement of its own, so the timing decides only how many statements run, never what they do.
 * Nothing is cached: every call runs.
 *
 * The statement must give each input the result it would have had run alone after the inputs
 * before it (a repeated input sees what the earlier copy did). If the statement fails, every
 * call of its group fails with its error, as every statement pipelined behind a failed one does:
 * the batch is then run one command at a time.
 */
export function coalesce<I, O>(statement: SetStatement<I, O>): (sql: WorkerSql, input: I) => Promise<O> {
  const loaders = new WeakMap<WorkerSql, DataLoader<I, O>>();
  return (sql, input) => {
    let loader = loaders.get(sql);
    if (!loader) {
      loader = new DataLoader<I, O>(
        async (inputs) => {
          const outputs = await statement(sql, inputs);
          if (outputs.length !== inputs.length) {
            throw new Error(
              `a set-based statement returned ${outputs.length} results for ${inputs.length} inputs`,
            );
          }
          return outputs;
        },
        { cache: false },
      );
      loaders.set(sql, loader);
    }
    return loader.load(input);
  };
}
