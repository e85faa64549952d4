// Orchestrator configuration: HTTP settings here, database and broker settings from their packages.
import { loadDbConfig, type DbConfig } from '@sagaport/db';
import { loadBrokerConfig, type BrokerConfig } from '@sagaport/rabbitmq';
import { z } from 'zod';

const HttpEnv = z.object({
  PORT: z.coerce.number().int().min(1).max(65_535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface OrchestratorConfig {
  readonly port: number;
  readonly host: string;
  readonly logLevel: z.infer<typeof HttpEnv>['LOG_LEVEL'];
  readonly database: DbConfig;
  readonly broker: BrokerConfig;
}

/** Parses every variable the orchestrator reads; the error names each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): OrchestratorConfig {
  const problems: string[] = [];
  const http = HttpEnv.safeParse(env);
  if (!http.success) problems.push(...http.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  const attempt = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (error) {
      problems.push((error as Error).message);
      return undefined;
    }
  };
  const database = attempt(() => loadDbConfig(env));
  const broker = attempt(() => loadBrokerConfig(env));
  if (!http.success || !database || !broker) {
    throw new Error(`invalid configuration: ${problems.join('; ')}`);
  }
  return { port: http.data.PORT, host: http.data.HOST, logLevel: http.data.LOG_LEVEL, database, broker };
}
