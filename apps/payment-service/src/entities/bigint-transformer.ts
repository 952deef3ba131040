import type { ValueTransformer } from 'typeorm';

/** pg returns bigint as text; amounts here stay far below 2^53. */
export const bigintAsNumber: ValueTransformer = {
  to: (value: number | null) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};
