// Every table of the Sagaport database; drizzle-kit reads this file to generate migrations.
export { inbox, outbox } from './messaging.js';
