import { HttpSender } from '../saga/http-client';
import { now, sleep } from '../saga/stats';
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
  const { client, kind, tokens, rate, seconds } = options;
  const total = Math.round(rate * seconds);
  const answered: Answered = { latencies: [], failures: [] };
  const inFlight: Promise<void>[] = [];
  const start = now() + 10;
  for (let i = 0; i < total;) {
    while (i < total && start + (i * 1000) / rate <= now()) {
      const n = options.sequence.next++;
      const due = start + (i * 1000) / rate;
      inFlight.push(send(client, kind, n, tokens[n % tokens.length], due, answered));
      i += 1;
    }
    await sleep(2);
  }
  await Promise.all(inFlight);
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
  const headers: Record<string, string> = request.authenticated ? { authorization: `Bearer ${token}` } : {};
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
