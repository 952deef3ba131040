import { AMOUNT_LIMIT_CENTS, decideCharge } from './provider-decision';

describe('decideCharge (simulated provider)', () => {
  it.each([
    ['tok_visa', { approved: true }],
    ['tok_mastercard', { approved: true }],
    ['tok_declined', { approved: false, declineCode: 'card_declined' }],
    ['tok_insufficient_funds', { approved: false, declineCode: 'insufficient_funds' }],
    ['tok_amex', { approved: false, declineCode: 'invalid_token' }],
    ['', { approved: false, declineCode: 'invalid_token' }],
    ['constructor', { approved: false, declineCode: 'invalid_token' }],
    ['TOK_VISA', { approved: false, declineCode: 'invalid_token' }],
  ])('%p → %p', (token, expected) => {
    expect(decideCharge(token, 1999)).toEqual(expected);
  });

  it('approves exactly the limit and refuses one cent more', () => {
    expect(decideCharge('tok_visa', AMOUNT_LIMIT_CENTS)).toEqual({ approved: true });
    expect(decideCharge('tok_visa', AMOUNT_LIMIT_CENTS + 1)).toEqual({
      approved: false,
      declineCode: 'amount_limit_exceeded',
    });
  });

  it('reports the amount limit before the card decline, but an invalid token before both', () => {
    expect(decideCharge('tok_declined', 2_000_000)).toEqual({
      approved: false,
      declineCode: 'amount_limit_exceeded',
    });
    expect(decideCharge('tok_bogus', 2_000_000)).toEqual({ approved: false, declineCode: 'invalid_token' });
  });
});
