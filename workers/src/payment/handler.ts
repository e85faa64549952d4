// The payment worker's commands: charge the saga's card once, refund it once.
import { BusinessRefusal } from '@sagaport/rabbitmq';
import {
  createCommandBatchProcessor,
  type CommandBatchProcessor,
  type CommandHandlers,
  type CommandProcessorOptions,
} from '../runtime/command-handler.js';
import { chargeSaga, refundOrder, refundSaga } from './charges.js';
import { PreparedPaymentProvider } from './prepared-provider.js';
import type { PaymentProvider } from './provider.js';

/**
 * The payment worker's batch processor as it runs: the provider is called before each batch's
 * transaction, outside it ({@link PreparedPaymentProvider}), and the commands are claimed with
 * their replies, so a batch can share the workers' rounds without a round ever waiting for the
 * provider.
 */
export function createPaymentProcessor(
  options: Pick<CommandProcessorOptions<'payment'>, 'sql' | 'topology' | 'publish'> & {
    readonly provider: PaymentProvider;
  },
): CommandBatchProcessor {
  const { provider, ...common } = options;
  const prepared = new PreparedPaymentProvider(provider, options.sql);
  return createCommandBatchProcessor({
    worker: 'payment',
    ...common,
    handlers: paymentHandlers(prepared),
    beforeTransaction: (commands) => prepared.prepare(commands),
    claim: 'with-replies',
  });
}

/**
 * Handlers of `payment.*` commands against `provider`. A payment's events: payment.charged or
 * payment.declined (sequence 1), then payment.refunded (2), by the checkout's compensation or by
 * the order's cancellation (one refund per charge either way).
 */
export function paymentHandlers(provider: PaymentProvider): CommandHandlers<'payment'> {
  return {
    'payment.charge': async ({ sql, sagaId, payload, emit }) => {
      const { orderId, amountCents, currency } = payload;
      try {
        const charge = await chargeSaga(sql, provider, {
          sagaId,
          orderId,
          amountCents,
          currency,
          paymentToken: payload.paymentToken,
        });
        await emit(
          'payment.charged',
          { orderId, chargeId: charge.chargeId, amount: { cents: charge.amountCents, currency } },
          1,
        );
        return charge;
      } catch (error) {
        if (error instanceof BusinessRefusal) {
          const reason = { code: error.code, message: error.message.slice(0, 2000) };
          await emit('payment.declined', { orderId, amountCents, currency, reason }, 1);
        }
        throw error;
      }
    },
    'payment.refund': async ({ sql, sagaId, payload, emit }) => {
      const refund = await refundSaga(sql, provider, sagaId);
      if (refund.refundId !== null) {
        await emit(
          'payment.refunded',
          { orderId: payload.orderId, refundId: refund.refundId, amountCents: refund.amountCents },
          2,
        );
      }
      return refund;
    },
    'payment.reimburse': async ({ sql, payload, emit }) => {
      const { orderId, checkoutSagaId } = payload;
      const refund = await refundOrder(sql, provider, { orderId, checkoutSagaId });
      await emit(
        'payment.refunded',
        { orderId, refundId: refund.refundId, amountCents: refund.amountCents },
        2,
      );
      return refund;
    },
  };
}
