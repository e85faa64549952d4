// Public surface of @sagaport/workers: start the workers in-process, their configuration, and demo helpers.
export { selectWorkers, workerNames } from './selection.js';
export { defaultShippingCountries, defaultWorkerSettings, loadWorkerConfig } from './config.js';
export type { LogLevel, WorkerConfig, WorkerSettings } from './config.js';
export { startWorkers, commandContractsOf } from './runtime/start.js';
export type { StartWorkersOptions, WorkersHandle } from './runtime/start.js';
export { runWorkerProcess } from './runtime/process.js';
export type { WorkerProcess, WorkerProcessOptions } from './runtime/process.js';
export { createCommandProcessor } from './runtime/command-handler.js';
export type {
  CommandContext,
  CommandHandler,
  CommandHandlers,
  CommandOutcome,
  CommandProcessorOptions,
  CommandResult,
  CommandsOf,
} from './runtime/command-handler.js';
export { StoredReply } from './runtime/messages.js';
export type { CommandDelivery } from './runtime/messages.js';
export { demoCatalogue, seedCatalogue } from './inventory/catalogue.js';
export type { CatalogueProduct } from './inventory/catalogue.js';
export { sweepExpiredReservations } from './inventory/sweeper.js';
export { ReservationStatus } from './inventory/reservations.js';
export { OrderStatus } from './order/orders.js';
export { dispatchShipment, ShipmentStatus } from './shipping/shipments.js';
export { PaymentTestToken, SimulatedPaymentProvider } from './payment/provider.js';
export type { PaymentProvider, ProviderResponse } from './payment/provider.js';
