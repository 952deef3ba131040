import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { Request, Response } from 'express';
import { PROBLEM_CONTENT_TYPE, ProblemDetails, ProblemException } from './problem';

/** Errors raised by body-parser before any handler runs. */
interface BodyParserError {
  type: string;
  status: number;
}

const isBodyParserError = (e: unknown): e is BodyParserError =>
  typeof e === 'object' && e !== null && typeof (e as BodyParserError).type === 'string' && 'status' in e;

/**
 * Every HTTP error leaves as application/problem+json. Unexpected errors are logged with their
 * stack and answered with a generic 500 that reveals nothing about the internals.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost) {
    if (host.getType() !== 'http') throw exception;
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    const problem = this.toProblem(exception);
    if (problem.status >= 500) this.logger.error({ err: exception, path: req.path }, 'unhandled error');
    if (res.headersSent) return;
    res
      .status(problem.status)
      .type(PROBLEM_CONTENT_TYPE)
      .send(JSON.stringify({ ...problem, instance: req.path }));
  }

  private toProblem(exception: unknown): ProblemDetails {
    if (exception instanceof ProblemException) {
      return {
        type: exception.problemType,
        title: exception.title,
        status: exception.getStatus(),
        detail: exception.message,
        ...exception.extensions,
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      return generic(status, messageOf(exception));
    }
    if (isBodyParserError(exception)) return fromBodyParser(exception);
    return generic(HttpStatus.INTERNAL_SERVER_ERROR, 'An unexpected error occurred. It has been logged.');
  }
}

function generic(status: number, detail: string): ProblemDetails {
  return { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, detail };
}

function messageOf(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  return Array.isArray(message) ? message.join('; ') : String(message ?? exception.message);
}

function fromBodyParser(error: BodyParserError): ProblemDetails {
  switch (error.type) {
    case 'entity.too.large':
      return generic(413, 'The request body exceeds the 64 KiB limit');
    case 'entity.parse.failed':
      return generic(400, 'The request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return generic(415, 'The request body encoding is not supported');
    default:
      return generic(
        error.status >= 400 && error.status < 500 ? error.status : 400,
        'The request body could not be read',
      );
  }
}
