// The registry of every message contract, by message type.
import type { z } from 'zod';
import { commandContracts } from './commands.js';
import { replyContracts } from './replies.js';

export * from './common.js';
export * from './commands.js';
export * from './replies.js';

/** A set of contracts a consumer accepts: message type → payload schema. */
export type ContractRegistry = Readonly<Record<string, z.ZodType>>;

/** Every command and reply of the checkout saga. */
export const sagaContracts = { ...commandContracts, ...replyContracts } as const satisfies ContractRegistry;

export type MessageType = keyof typeof sagaContracts;
export type MessagePayload<T extends MessageType> = z.infer<(typeof sagaContracts)[T]>;
