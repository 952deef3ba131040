import { KeepAliveClient } from './http-client';

/** Units of stock per product: ample, so that no order of the benchmark runs out. */
export const SEEDED_STOCK = 1_000_000;

/** Upserts `count` products through the admin API of inventory-service (`PUT /products/{sku}`). */
export async function seedCatalog(inventoryUrl: string, adminToken: string, count: number, runName: string) {
  const client = new KeepAliveClient(inventoryUrl, 16);
  const skus = Array.from({ length: count }, (_, i) =>
    `BENCH-${runName.slice(-8)}-${i}`.replace(/[^A-Za-z0-9._-]/g, '-'),
  );
  try {
    let next = 0;
    const worker = async () => {
      while (next < skus.length) {
        const sku = skus[next++];
        const answer = await client.send(
          'PUT',
          `/products/${sku}`,
          { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
          JSON.stringify({
            name: `Bench product ${sku}`,
            priceCents: 100 + (next % 5000),
            available: SEEDED_STOCK,
          }),
        );
        if (answer.status >= 300)
          throw new Error(`PUT /products/${sku} answered ${answer.status}: ${answer.body}`);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
  } finally {
    client.close();
  }
  return skus;
}
