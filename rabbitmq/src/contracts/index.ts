// The registry of every message contract, by message type.
import type { z } from 'zod';
import { commandContracts } from './commands.js';
import { eventContracts } from './events.js';
import { replyContracts } from './replies.js';

export * from './common.js';
export * from './commands.js';
export * from './replies.js';
export * from './events.js';

/** A set of contracts a consumer accepts: message type → payload schema. */
export type ContractRegistry = Readonly<Record<string, z.ZodType>>;

/** Every command and reply of the checkout saga, and the domain events. */
export const sagaContracts = {
  ...commandContracts,
  ...replyContracts,
  ...eventContracts,
} as const satisfies ContractRegistry;

export type MessageType = keyof typeof sagaContracts;
export type MessagePayload<T extends MessageType> = z.infer<(typeof sagaContracts)[T]>;
