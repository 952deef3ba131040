import { HttpSender } from '../saga/http-client';
import { openLoop } from '../saga/open-loop';
import { now } from '../saga/stats';
import { RequestKind } from './request-kinds';

export interface Answered {
  /** From the request's due time to its answer, ms (waiting for a connection included). */
  latencies: number[];
  /** Requests answered with another status than the kind expects, or not answered, described. */
  failures: string[];
}

/** Sends `rate` requests of one kind per second for `seconds`, on schedule, answered or not. */
export async function sendOpenLoop(options: {
  client: HttpSender;
  kind: RequestKind;
  tokens: string[];
  rate: number;
  seconds: number;
  sequence: { next: number };
}): Promise<Answered> {
  const { client, kind, tokens } = options;
  const answered: Answered = { latencies: [], failures: [] };
  await openLoop(options.rate, options.seconds, (_, dueAt) => {
    const n = options.sequence.next++;
    return send(client, kind, n, tokens[n % tokens.length], dueAt, answered);
  });
  return answered;
}

async function send(
  client: HttpSender,
  kind: RequestKind,
  n: number,
  token: string,
  due: number,
  answered: Answered,
): Promise<void> {
  const request = kind.request(n);
  const headers: Record<string, string> = {
    ...request.headers,
    ...(request.authenticated && { authorization: `Bearer ${token}` }),
  };
  const body = request.body === undefined ? undefined : JSON.stringify(request.body);
  if (body !== undefined) headers['content-type'] = 'application/json';
  try {
    const answer = await client.send(request.method, request.path, headers, body);
    answered.latencies.push(now() - due);
    if (answer.status !== kind.expectedStatus)
      answered.failures.push(
        `${request.method} ${request.path}: HTTP ${answer.status} ${answer.body.slice(0, 200)}`,
      );
  } catch (error) {
    answered.failures.push(`${request.method} ${request.path}: ${(error as Error).message}`);
  }
}
