// Settings of the admin API, parsed from the environment with the rest of the orchestrator's config.
import { z } from 'zod';

export const adminSettingsSchema = z.object({
  /** Login of the first operator, created on first start when no user exists. */
  bootstrapEmail: z.string().email(),
  /** Its password; when unset a random one is generated and logged once. */
  bootstrapPassword: z.string().min(12).optional(),
  sessionTtlHours: z.number().positive(),
  /** Failed logins allowed per (client address, email) in 15 minutes. */
  loginAttemptsPer15Min: z.number().int().positive(),
  /** Default pace of a bulk replay job, in messages per second. */
  replayRatePerSecond: z.number().int().positive(),
  /** Lifetime of an API token created without `expiresInDays`. */
  apiTokenDefaultDays: z.number().int().positive(),
  /** The longest lifetime an API token may be given. */
  apiTokenMaxDays: z.number().int().positive(),
  /** RabbitMQ management API, for queue depths and rates (user info in the URL). */
  managementUrl: z.string().url(),
});
export type AdminSettings = z.infer<typeof adminSettingsSchema>;

export const defaultAdminSettings: AdminSettings = {
  bootstrapEmail: 'admin@sagaport.local',
  sessionTtlHours: 12,
  loginAttemptsPer15Min: 10,
  replayRatePerSecond: 50,
  apiTokenDefaultDays: 30,
  apiTokenMaxDays: 365,
  managementUrl: 'http://guest:guest@127.0.0.1:15672',
};
