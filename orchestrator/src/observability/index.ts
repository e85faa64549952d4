// Health, readiness, metrics and logging shared by every Sagaport process (`@sagaport/orchestrator/observability`).
export { healthRoutes } from './health.js';
export type { ReadinessCheck } from './health.js';
export { createLogger } from './logger.js';
export type { Logger } from './logger.js';
export { serveOperationalEndpoints } from './serve.js';
