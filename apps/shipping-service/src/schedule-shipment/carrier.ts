import { randomInt } from 'node:crypto';

export interface Carrier {
  name: string;
  /** Tracking numbers of this carrier start with it. */
  trackingPrefix: string;
}

const DHL: Carrier = { name: 'DHL', trackingPrefix: 'JJD' };
const POSTNL: Carrier = { name: 'PostNL', trackingPrefix: '3S' };
const COLISSIMO: Carrier = { name: 'Colissimo', trackingPrefix: '6A' };
const ROYAL_MAIL: Carrier = { name: 'Royal Mail', trackingPrefix: 'RM' };
const UPS: Carrier = { name: 'UPS', trackingPrefix: '1Z' };
const FEDEX: Carrier = { name: 'FedEx', trackingPrefix: 'FX' };

const BY_COUNTRY: Record<string, Carrier> = {
  DE: DHL,
  AT: DHL,
  CH: DHL,
  PL: DHL,
  CZ: DHL,
  DK: DHL,
  NL: POSTNL,
  BE: POSTNL,
  LU: POSTNL,
  FR: COLISSIMO,
  MC: COLISSIMO,
  GB: ROYAL_MAIL,
  US: UPS,
  CA: UPS,
  MX: UPS,
};

/** Deterministic by destination country (ISO 3166-1 alpha-2); FedEx for everywhere else. */
export function chooseCarrier(country: string): Carrier {
  return Object.hasOwn(BY_COUNTRY, country) ? BY_COUNTRY[country]! : FEDEX;
}

const ALPHABET = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ';

/** The carrier's prefix and 14 random characters (no I/O, easy to read out on the phone). */
export function newTrackingNumber(carrier: Carrier, random: (max: number) => number = randomInt): string {
  let suffix = '';
  for (let i = 0; i < 14; i++) suffix += ALPHABET[random(ALPHABET.length)];
  return carrier.trackingPrefix + suffix;
}
