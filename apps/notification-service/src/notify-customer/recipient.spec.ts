import { recipientFor } from './recipient';

describe('recipientFor', () => {
  it('uses a customer id that is an email address', () => {
    expect(recipientFor('ada@example.com', 'customers.test')).toBe('ada@example.com');
  });

  it('maps other ids into the domain, replacing unsafe characters', () => {
    expect(recipientFor('cust-42', 'customers.test')).toBe('cust-42@customers.test');
    expect(recipientFor('a b<c>\r\n', 'customers.test')).toBe('a_b_c___@customers.test');
  });
});
