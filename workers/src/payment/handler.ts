// The payment worker's commands: charge the saga's card once, refund it once.
import type { CommandHandlers } from '../runtime/command-handler.js';
import { chargeSaga, refundOrder, refundSaga } from './charges.js';
import type { PaymentProvider } from './provider.js';

/** Handlers of `payment.*` commands against `provider`. */
export function paymentHandlers(provider: PaymentProvider): CommandHandlers<'payment'> {
  return {
    'payment.charge': ({ sql, sagaId, payload }) =>
      chargeSaga(sql, provider, {
        sagaId,
        orderId: payload.orderId,
        amountCents: payload.amountCents,
        currency: payload.currency,
        paymentToken: payload.paymentToken,
      }),
    'payment.refund': ({ sql, sagaId }) => refundSaga(sql, provider, sagaId),
    'payment.reimburse': ({ sql, payload }) =>
      refundOrder(sql, provider, { orderId: payload.orderId, checkoutSagaId: payload.checkoutSagaId }),
  };
}
