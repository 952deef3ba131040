import { chooseCarrier, newTrackingNumber } from './carrier';

describe('chooseCarrier', () => {
  it.each([
    ['DE', 'DHL'],
    ['AT', 'DHL'],
    ['NL', 'PostNL'],
    ['FR', 'Colissimo'],
    ['GB', 'Royal Mail'],
    ['US', 'UPS'],
    ['JP', 'FedEx'],
    ['ZZ', 'FedEx'],
  ])('ships to %s with %s', (country, carrier) => {
    expect(chooseCarrier(country).name).toBe(carrier);
  });

  it('is deterministic and ignores inherited object keys', () => {
    expect(chooseCarrier('DE')).toBe(chooseCarrier('DE'));
    expect(chooseCarrier('constructor').name).toBe('FedEx');
  });
});

describe('newTrackingNumber', () => {
  it('starts with the carrier prefix, followed by 14 readable characters', () => {
    const number = newTrackingNumber(chooseCarrier('US'));
    expect(number).toMatch(/^1Z[0-9A-HJ-NP-Z]{14}$/);
  });

  it('draws every character from the random source', () => {
    expect(newTrackingNumber(chooseCarrier('DE'), () => 0)).toBe('JJD00000000000000');
  });
});
