/**
 * Customers are known only by id (the JWT `sub`); an id that is an email address is used as is,
 * any other is mapped into NOTIFICATION_EMAIL_DOMAIN.
 */
export function recipientFor(customerId: string, domain: string): string {
  if (/^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/.test(customerId)) return customerId;
  const local = customerId.replace(/[^A-Za-z0-9._+-]/g, '_').slice(0, 64) || 'customer';
  return `${local}@${domain}`;
}
