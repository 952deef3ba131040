import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A catalog item and its stock: `available` can be reserved, `reserved` is held for orders, `sold` left. */
@Entity({ name: 'products' })
export class ProductEntity {
  @PrimaryColumn({ type: 'text' })
  sku!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'price_cents', type: 'integer' })
  priceCents!: number;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Column({ type: 'integer' })
  available!: number;

  @Column({ type: 'integer' })
  reserved!: number;

  @Column({ type: 'integer' })
  sold!: number;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
