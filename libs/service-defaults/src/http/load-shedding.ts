import type { IncomingMessage, ServerResponse } from 'node:http';
import { meter } from '../metrics/metrics';
import { OPERATIONAL_PATHS, underPathPrefixes } from './path-prefixes';
import { ProblemDetails, writeProblem } from './problem';

export interface LoadSheddingOptions {
  /** Requests in progress at most; the next one is answered 503 at once. */
  maxInFlight: number;
  /** Requests that are never counted nor refused: probes, scrapes, long-lived streams (SSE). */
  exempt: (path: string) => boolean;
}

/** Health probes and metric scrapes must answer however busy the service is. */
export const ALWAYS_SERVED = underPathPrefixes(OPERATIONAL_PATHS);

/**
 * Express middleware that bounds the requests a process works on at once. Past `maxInFlight`, a
 * request is refused before its body is read (503 problem+json, `Retry-After: 1`), so an overload
 * costs the caller a retry instead of every caller a queue that grows without end: bounded latency
 * for what is accepted, bounded memory for the process. A refused request has done nothing.
 */
export function shedLoad(options: LoadSheddingOptions) {
  const active = meter().createUpDownCounter('http.server.active_requests', {
    description: 'HTTP requests in progress (load shedding counts these)',
  });
  const shed = meter().createCounter('http_requests_shed_total', {
    description: 'HTTP requests refused with 503 because too many were in progress',
  });
  let inFlight = 0;
  return (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const path = (req.url ?? '/').split('?')[0];
    if (options.exempt(path)) return next();
    if (inFlight >= options.maxInFlight) {
      shed.add(1);
      return refuse(res, path, options.maxInFlight);
    }
    inFlight++;
    active.add(1);
    // 'close' comes once per response: finished, or the connection went away first.
    res.once('close', () => {
      inFlight--;
      active.add(-1);
    });
    next();
  };
}

function refuse(res: ServerResponse, path: string, maxInFlight: number) {
  const problem: ProblemDetails = {
    type: 'urn:orderflow:problem:overloaded',
    title: 'Service overloaded',
    status: 503,
    detail: `More than ${maxInFlight} requests are in progress; nothing was done, retry in 1 s`,
    instance: path,
    retryAfterSeconds: 1,
  };
  // The unread body is discarded by Node's HTTP server; the connection stays usable.
  writeProblem(res, problem, { 'retry-after': '1' });
}
