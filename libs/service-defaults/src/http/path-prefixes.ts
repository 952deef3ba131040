/** Whether a request URL's path (query ignored) is one of `prefixes` or lies below one of them. */
export const underPathPrefixes =
  (prefixes: readonly string[]) =>
  (url: string | undefined): boolean => {
    const path = (url ?? '').split('?')[0];
    return prefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
  };

/** Health probes and metric scrapes: never traced, never refused by load shedding. */
export const OPERATIONAL_PATHS = ['/health', '/metrics'] as const;
