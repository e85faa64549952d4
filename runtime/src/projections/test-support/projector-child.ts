// A projector process for the crash test: runs the recording projection slowly and prints each committed offset.
import { connectBroker, waitForBroker } from '@sagaport/rabbitmq';
import { createDatabase } from '@sagaport/db';
import { ProjectionRunner } from '../runner.js';
import { recordingProjection } from './events.js';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

// The pool every Sagaport process uses (its jsonb parameters are JSON text).
const { sql } = createDatabase({ url: env('DATABASE_URL'), poolMax: 2, applicationName: 'projector-child' });
const connection = connectBroker({ url: env('AMQP_URL'), connectionName: 'sagaport-projector-child' });
await waitForBroker(connection);
new ProjectionRunner({
  projection: recordingProjection(env('PROJECTION'), env('TABLE'), { slowMs: 200 }),
  sql,
  connection,
  queue: env('QUEUE'),
  batchSize: 40,
  leaseMs: 2_000,
  lagSampleMs: 0,
  onCommitted: (offset) => process.stdout.write(`committed ${offset}\n`),
}).start();
