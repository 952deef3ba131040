import { Inject, Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { SERVICE_CONFIG } from '@orderflow/service-defaults';
import { ChargeDecision, decideCharge } from './provider-decision';

export interface PaymentConfig {
  /** Simulated provider round-trip, in ms (0 = none). */
  PAYMENT_LATENCY_MS: number;
}

/** The simulated payment provider: deterministic by token, with optional latency. */
@Injectable()
export class PaymentProvider {
  constructor(@Inject(SERVICE_CONFIG) private readonly config: PaymentConfig) {}

  async charge(request: { token: string; amountCents: number; currency: string }): Promise<ChargeDecision> {
    if (this.config.PAYMENT_LATENCY_MS > 0) await sleep(this.config.PAYMENT_LATENCY_MS);
    return decideCharge(request.token, request.amountCents);
  }
}
