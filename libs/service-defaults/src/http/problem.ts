import type { ServerResponse } from 'node:http';
import { HttpException, HttpStatus } from '@nestjs/common';

/** One bad field of a request, as listed in a validation problem's `errors`. */
export interface FieldError {
  /** JSON Pointer-like path of the field, e.g. `/items/0/quantity`, or a header/query name. */
  field: string;
  message: string;
}

/** RFC 9457 problem details. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Answers with `problem` from plain Node middleware, before Nest (and its exception filter) runs. */
export function writeProblem(
  res: ServerResponse,
  problem: ProblemDetails,
  headers: Record<string, string> = {},
) {
  res.writeHead(problem.status, { ...headers, 'content-type': PROBLEM_CONTENT_TYPE });
  res.end(JSON.stringify(problem));
}

/** An HTTP error that already knows its problem type; thrown by handlers and validators. */
export class ProblemException extends HttpException {
  constructor(
    status: number,
    readonly problemType: string,
    readonly title: string,
    detail: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail, status);
  }
}

export class ValidationProblem extends ProblemException {
  constructor(readonly errors: FieldError[]) {
    super(
      HttpStatus.BAD_REQUEST,
      'urn:orderflow:problem:validation-failed',
      'Request validation failed',
      errors.map((e) => `${e.field}: ${e.message}`).join('; '),
      { errors },
    );
  }
}
