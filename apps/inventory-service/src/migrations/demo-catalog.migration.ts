import { MigrationInterface, QueryRunner } from 'typeorm';

export const DEMO_CATALOG = [
  { sku: 'SKU-1', name: 'Espresso beans, 1 kg', priceCents: 1999 },
  { sku: 'SKU-2', name: 'Ceramic pour-over dripper', priceCents: 2450 },
  { sku: 'SKU-3', name: 'Burr grinder', priceCents: 8900 },
  { sku: 'SKU-4', name: 'Gooseneck kettle', priceCents: 5499 },
  { sku: 'SKU-5', name: 'Paper filters, 100 pack', priceCents: 599 },
] as const;

export const DEMO_STOCK = 1000;

/** Seeds the demo catalog once, on the first start against an empty database. */
export class DemoCatalog1764100000001 implements MigrationInterface {
  name = 'DemoCatalog1764100000001';

  async up(runner: QueryRunner): Promise<void> {
    for (const product of DEMO_CATALOG) {
      await runner.query(
        `insert into products (sku, name, price_cents, currency, available) values ($1, $2, $3, 'EUR', $4)
         on conflict (sku) do nothing`,
        [product.sku, product.name, product.priceCents, DEMO_STOCK],
      );
    }
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('delete from products where sku = any($1) and reserved = 0 and sold = 0', [
      DEMO_CATALOG.map((p) => p.sku),
    ]);
  }
}
