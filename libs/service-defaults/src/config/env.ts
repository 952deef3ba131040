/**
 * Environment variables, parsed and validated once at start-up. A wrong or missing value becomes
 * an InvalidConfigError naming the variable; `runService` prints it as one line and exits.
 */
export class InvalidConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
  }
}

export interface EnvVar<T> {
  parse(raw: string | undefined, name: string, source: NodeJS.ProcessEnv): T;
}

export type EnvSpec<T> = { [K in keyof T]: EnvVar<T[K]> };

class Problem extends Error {}

const present = (raw: string | undefined): raw is string => raw !== undefined && raw.trim() !== '';

function required<T>(parse: (raw: string, name: string) => T, fallback?: T): EnvVar<T> {
  return {
    parse(raw, name) {
      if (!present(raw)) {
        if (fallback !== undefined) return fallback;
        throw new Problem(`${name} is required`);
      }
      return parse(raw.trim(), name);
    },
  };
}

function parseInteger(raw: string, name: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(raw)) throw new Problem(`${name} must be an integer (got "${raw}")`);
  const value = Number(raw);
  if (value < min || value > max)
    throw new Problem(`${name} must be between ${min} and ${max} (got ${value})`);
  return value;
}

function parseUrl(raw: string, name: string, protocols: string[]): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Problem(`${name} must be a URL (got "${redact(raw)}")`);
  }
  if (!protocols.includes(url.protocol.replace(/:$/, ''))) {
    throw new Problem(`${name} must use ${protocols.join(' or ')} (got "${url.protocol}")`);
  }
  return url;
}

/** Never echo credentials embedded in a URL back into logs. */
function redact(raw: string): string {
  return raw.replace(/\/\/[^@/]*@/, '//***@');
}

export const env = {
  port: (fallback: number) => required((raw, name) => parseInteger(raw, name, 1, 65535), fallback),

  int: (opts: { min: number; max: number; default?: number }) =>
    required((raw, name) => parseInteger(raw, name, opts.min, opts.max), opts.default),

  string: (opts: { default?: string; pattern?: RegExp } = {}) =>
    required((raw, name) => {
      if (opts.pattern && !opts.pattern.test(raw))
        throw new Problem(`${name} has an invalid format (got "${raw}")`);
      return raw;
    }, opts.default),

  oneOf: <T extends string>(values: readonly T[], fallback?: T) =>
    required((raw, name) => {
      if (!values.includes(raw as T))
        throw new Problem(`${name} must be one of ${values.join(', ')} (got "${raw}")`);
      return raw as T;
    }, fallback),

  url: (opts: { protocols: string[]; default?: string }) =>
    required((raw, name) => parseUrl(raw, name, opts.protocols).toString(), opts.default),

  optionalUrl: (opts: { protocols: string[] }): EnvVar<string | undefined> => ({
    parse: (raw, name) => (present(raw) ? parseUrl(raw.trim(), name, opts.protocols).toString() : undefined),
  }),

  /** Comma-separated host:port list, e.g. Kafka bootstrap servers. */
  hostPorts: (fallback: string) =>
    required((raw, name) => {
      const hosts = raw.split(',').map((h) => h.trim());
      for (const host of hosts) {
        const match = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d+)$/.exec(host);
        if (!match || Number(match[2]) < 1 || Number(match[2]) > 65535) {
          throw new Problem(`${name} must be a comma-separated list of host:port (got "${raw}")`);
        }
      }
      return hosts;
    }, fallback.split(',')),

  /** A secret with a development default that is refused when NODE_ENV=production. */
  secret: (opts: { devDefault: string; minLength: number }): EnvVar<string> => ({
    parse(raw, name, source) {
      if (!present(raw)) {
        if (source.NODE_ENV === 'production')
          throw new Problem(`${name} is required when NODE_ENV=production`);
        return opts.devDefault;
      }
      if (raw.length < opts.minLength)
        throw new Problem(`${name} must be at least ${opts.minLength} characters`);
      return raw;
    },
  }),
};

/**
 * Variables an earlier release read, with what replaced them. One still set would otherwise be
 * ignored without a word, and the deployment would run on a default it did not choose.
 */
export type RetiredVariables = Record<string, string>;

export function loadConfig<T>(
  spec: EnvSpec<T>,
  source: NodeJS.ProcessEnv = process.env,
  retired: RetiredVariables = {},
): T {
  const problems = Object.entries(retired)
    .filter(([name]) => source[name] !== undefined)
    .map(([name, replacement]) => `${name} is no longer read: set ${replacement} instead`);
  const config = {} as T;
  for (const name of Object.keys(spec) as (keyof T & string)[]) {
    try {
      config[name] = spec[name].parse(source[name], name, source);
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      problems.push(error.message);
    }
  }
  if (problems.length > 0) throw new InvalidConfigError(problems);
  return config;
}
