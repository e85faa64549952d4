// A simulated card payment provider: test tokens choose the answer, as a real provider's sandbox does.
import { randomUUID } from 'node:crypto';
import type postgres from 'postgres';

/**
 * Payment tokens the simulated provider understands. Any other token is refused as
 * `invalid_token`.
 *
 * | token             | answer                                                       |
 * | ----------------- | ------------------------------------------------------------ |
 * | `tok_visa`        | charged                                                      |
 * | `tok_declined`    | 402 `card_declined`: the saga fails and compensates          |
 * | `tok_unavailable` | 503: transient, retried through the delay tiers, then DLQ    |
 * | `tok_slow`        | charged after PAYMENT_SLOW_MS (default 2000 ms)              |
 * | `tok_flaky`       | 503 on the first two charges of a key, then charged          |
 */
export const PaymentTestToken = {
  visa: 'tok_visa',
  declined: 'tok_declined',
  unavailable: 'tok_unavailable',
  slow: 'tok_slow',
  flaky: 'tok_flaky',
} as const;
export type PaymentTestToken = (typeof PaymentTestToken)[keyof typeof PaymentTestToken];

export interface ChargeRequest {
  /** The provider charges a key at most once and answers a repeat with the first charge. */
  readonly idempotencyKey: string;
  readonly token: string;
  readonly amountCents: number;
  readonly currency: string;
}

/** The provider's answer, shaped like its HTTP responses. */
export type ProviderResponse =
  | { readonly status: 201; readonly reference: string }
  | { readonly status: 400 | 402; readonly code: string; readonly message: string }
  | { readonly status: 503; readonly message: string };

/** What the payment worker needs from a card payment provider. */
export interface PaymentProvider {
  charge(request: ChargeRequest): Promise<ProviderResponse>;
  refund(request: {
    idempotencyKey: string;
    chargeReference: string;
    amountCents: number;
  }): Promise<ProviderResponse>;
}

const rememberedKeys = 100_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Operation = 'charge' | 'refund';

/** A call the provider writes to its ledger; `reference` is null for a call that moved no money. */
interface LedgerCall {
  readonly operation: Operation;
  readonly key: string;
  readonly amountCents: number;
  readonly status: number;
  readonly reference: string | null;
  readonly settle: { resolve: (reference: string | undefined) => void; reject: (error: unknown) => void };
}

export interface SimulatedProviderOptions {
  /** How long `tok_slow` takes. */
  readonly slowMs: number;
  /**
   * Where the provider keeps its books (`payments.provider_calls`): every call it answers is
   * recorded there on these connections, outside the caller's transaction, and the idempotency
   * keys that moved money are remembered there, across worker processes and restarts, as a real
   * provider's are. Give it its own small pool: a payment handler holds one connection of the
   * worker's pool while it waits for the provider. Without a ledger, keys are remembered in this
   * process's memory only and nothing is recorded.
   */
  readonly ledger?: postgres.Sql;
}

/**
 * The provider of development and tests. Like a real one it is idempotent per key: a charge
 * repeated after our transaction rolled back (a crash between the provider's answer and our
 * commit) returns the first charge's reference instead of charging the card again.
 */
export class SimulatedPaymentProvider implements PaymentProvider {
  /** Recent idempotency keys and their references, without a ledger; the oldest are forgotten past a bound. */
  private readonly references = new Map<string, string>();
  /** Failed charges per key of `tok_flaky`. */
  private readonly flakyFailures = new Map<string, number>();
  /** Ledger writes waiting for this turn's group statement. */
  private ledgerCalls: LedgerCall[] = [];

  constructor(private readonly options: SimulatedProviderOptions) {}

  async charge(request: ChargeRequest): Promise<ProviderResponse> {
    const response = await this.answerCharge(request);
    if (response.status === 201) return this.accept('charge', request.idempotencyKey, request.amountCents);
    await this.record('charge', request.idempotencyKey, request.amountCents, response.status);
    return response;
  }

  async refund(request: { idempotencyKey: string; amountCents: number }): Promise<ProviderResponse> {
    return this.accept('refund', request.idempotencyKey, request.amountCents);
  }

  /** What the card's test token makes the provider answer; 201 carries no reference yet. */
  private async answerCharge(request: ChargeRequest): Promise<ProviderResponse> {
    const accepted = { status: 201, reference: '' } as const;
    switch (request.token) {
      case PaymentTestToken.declined:
        return { status: 402, code: 'card_declined', message: 'the card was declined' };
      case PaymentTestToken.unavailable:
        return { status: 503, message: 'payment provider unavailable' };
      case PaymentTestToken.slow:
        await sleep(this.options.slowMs);
        return accepted;
      case PaymentTestToken.visa:
        return accepted;
      case PaymentTestToken.flaky: {
        const failures = this.flakyFailures.get(request.idempotencyKey) ?? 0;
        if (failures >= 2) return accepted;
        this.flakyFailures.set(request.idempotencyKey, failures + 1);
        return { status: 503, message: `payment provider unavailable (flaky, failure ${failures + 1} of 2)` };
      }
      default:
        return { status: 400, code: 'invalid_token', message: 'the payment token is not valid' };
    }
  }

  /** Moves the money once per operation and key; a repeated key gets the first reference back. */
  private async accept(operation: Operation, key: string, amountCents: number): Promise<ProviderResponse> {
    const ledger = this.options.ledger;
    if (!ledger) return { status: 201, reference: this.remembered(`${operation}:${key}`) };
    const moved = await this.write({
      operation,
      key,
      amountCents,
      status: 201,
      reference: `sim_${randomUUID()}`,
    });
    if (moved) return { status: 201, reference: moved };
    // A repeated key: the conflicting call committed (the insert waited for it), so a new
    // statement sees it.
    const [first] = await ledger<{ reference: string }[]>`
      select reference from payments.provider_calls
      where operation = ${operation} and idempotency_key = ${key} and status = 201 and not replayed`;
    await ledger`
      insert into payments.provider_calls (operation, idempotency_key, status, reference, amount_cents, replayed)
      values (${operation}, ${key}, 201, ${first!.reference}, ${amountCents}, true)`;
    return { status: 201, reference: first!.reference };
  }

  /** Records a refused or failed call (nothing moved). */
  private async record(
    operation: Operation,
    key: string,
    amountCents: number,
    status: number,
  ): Promise<void> {
    if (!this.options.ledger) return;
    await this.write({ operation, key, amountCents, status, reference: null });
  }

  /**
   * Writes a call to the ledger with the others made in the same turn of the event loop: one
   * statement and one transaction for all of them, as a provider under load commits its books in
   * groups. Resolves with the reference when a money-moving call moved money (its key was new),
   * undefined otherwise. A key repeated within one group is left to the repeated-key path.
   */
  private write(call: Omit<LedgerCall, 'settle'>): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      this.ledgerCalls.push({ ...call, settle: { resolve, reject } });
      if (this.ledgerCalls.length === 1) setImmediate(() => void this.flushLedger());
    });
  }

  private async flushLedger(): Promise<void> {
    const calls = this.ledgerCalls.splice(0);
    const seen = new Set<string>();
    const rows: LedgerCall[] = [];
    // A key repeated within the group takes the repeated-key path once the group's statement has
    // committed: only then can that path read the first call's reference.
    const repeated: LedgerCall[] = [];
    for (const call of calls) {
      const id = `${call.operation}:${call.key}`;
      if (call.status === 201 && seen.has(id)) repeated.push(call);
      else {
        if (call.status === 201) seen.add(id);
        rows.push(call);
      }
    }
    try {
      const json = JSON.stringify(
        rows.map(({ operation, key, status, reference, amountCents }) => ({
          operation,
          key,
          status,
          reference,
          amount_cents: amountCents,
        })),
      );
      const moved = await this.options.ledger!<{ operation: string; key: string; reference: string }[]>`
        insert into payments.provider_calls (operation, idempotency_key, status, reference, amount_cents, replayed)
        select r.operation, r.key, r.status, r.reference, r.amount_cents, false
        from jsonb_to_recordset(${json}::jsonb)
          as r(operation text, key text, status int, reference text, amount_cents int)
        on conflict (operation, idempotency_key) where status = 201 and not replayed do nothing
        returning operation, idempotency_key as key, reference`;
      const references = new Map(moved.map((row) => [`${row.operation}:${row.key}`, row.reference]));
      for (const call of rows)
        call.settle.resolve(
          call.status === 201 ? references.get(`${call.operation}:${call.key}`) : undefined,
        );
      for (const call of repeated) call.settle.resolve(undefined);
    } catch (error) {
      for (const call of [...rows, ...repeated]) call.settle.reject(error);
    }
  }

  private remembered(key: string): string {
    let reference = this.references.get(key);
    if (!reference) {
      reference = `sim_${randomUUID()}`;
      this.references.set(key, reference);
      if (this.references.size > rememberedKeys) {
        this.references.delete(this.references.keys().next().value!);
      }
    }
    return reference;
  }
}
