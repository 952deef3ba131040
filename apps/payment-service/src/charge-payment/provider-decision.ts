import type { DeclineCode } from '@orderflow/contracts';

export type ChargeDecision = { approved: true } | { approved: false; declineCode: DeclineCode };

/** Charges above this many cents are refused whatever the card. */
export const AMOUNT_LIMIT_CENTS = 1_000_000;

const APPROVING_TOKENS = new Set(['tok_visa', 'tok_mastercard']);
const DECLINING_TOKENS: Record<string, DeclineCode> = {
  tok_declined: 'card_declined',
  tok_insufficient_funds: 'insufficient_funds',
};

/**
 * The simulated provider, deterministic by token. Checked in the order a real provider would:
 * an unusable token first, then the merchant's amount limit, then the issuer's answer.
 */
export function decideCharge(token: string, amountCents: number): ChargeDecision {
  const knownToken = APPROVING_TOKENS.has(token) || Object.hasOwn(DECLINING_TOKENS, token);
  if (!knownToken) return { approved: false, declineCode: 'invalid_token' };
  if (amountCents > AMOUNT_LIMIT_CENTS) return { approved: false, declineCode: 'amount_limit_exceeded' };
  const declineCode = DECLINING_TOKENS[token];
  return declineCode ? { approved: false, declineCode } : { approved: true };
}
