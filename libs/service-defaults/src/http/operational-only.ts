import type { IncomingMessage, ServerResponse } from 'node:http';
import { ALWAYS_SERVED } from './load-shedding';
import { writeProblem } from './problem';

/**
 * Express middleware for an instance that serves no API (a relay-only one): health probes and
 * metric scrapes pass, every other request is answered 404 problem+json without being read.
 */
export function operationalOnly(role: string) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const path = (req.url ?? '/').split('?')[0];
    if (ALWAYS_SERVED(path)) return next();
    writeProblem(res, {
      type: 'urn:orderflow:problem:not-found',
      title: 'Not found',
      status: 404,
      detail: `This instance is ${role}: it serves /health and /metrics only`,
      instance: path,
    });
  };
}
