// Groups dead letters by cause: queue + type + error class + the error message with ids and numbers masked.
import { createHash } from 'node:crypto';

const masks: readonly [RegExp, string][] = [
  [/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<uuid>'],
  [/[\w.+-]+@[\w-]+(\.[\w-]+)+/g, '<email>'],
  // Any word with a digit in it: numbers, amounts, hex ids, `ch_8f3a…`.
  [/\b\w*\d\w*\b/g, '<n>'],
];

/** The error message with what varies per message (uuids, emails, numbers, hex ids) masked. */
export function maskMessage(message: string): string {
  let masked = message.slice(0, 500);
  for (const [pattern, replacement] of masks) masked = masked.replace(pattern, replacement);
  return masked.replace(/\s+/g, ' ').trim();
}

export interface FingerprintInput {
  readonly originalQueue: string;
  readonly messageType: string;
  readonly errorClass: string;
  readonly errorMessage: string;
}

/** A short stable id of a failure's cause, and the masked text it was made from. */
export function fingerprintOf(input: FingerprintInput): { fingerprint: string; text: string } {
  const text = maskMessage(input.errorMessage);
  const fingerprint = createHash('sha256')
    .update([input.originalQueue, input.messageType, input.errorClass, text].join('\u001f'))
    .digest('hex')
    .slice(0, 16);
  return { fingerprint, text };
}
