import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { hostname } from 'node:os';
import tls from 'node:tls';

export interface Mail {
  from: string;
  to: string;
  subject: string;
  text: string;
}

/** The address inside `Name <addr>`, or the whole string. */
export const mailbox = (address: string) => /<([^<>]+)>\s*$/.exec(address)?.[1] ?? address.trim();

const SAFE_ADDRESS = /^[^\s<>@]+@[^\s<>@]+$/;

/** The SMTP server answered something other than what the step expects. */
export class SmtpError extends Error {
  override readonly name = 'SmtpError';
}

/**
 * Sends one plain-text message over SMTP: `smtp://` (plain) or `smtps://` (implicit TLS), with
 * AUTH PLAIN when the URL carries credentials. No STARTTLS, no pooling: enough for transactional
 * notifications to a relay.
 */
export async function sendMail(url: URL, mail: Mail, timeoutMs = 10_000): Promise<void> {
  const from = mailbox(mail.from);
  const to = mailbox(mail.to);
  for (const address of [from, to]) {
    if (!SAFE_ADDRESS.test(address))
      throw new SmtpError(`not a usable mail address: ${JSON.stringify(address)}`);
  }
  const session = await SmtpSession.open(url, timeoutMs);
  try {
    await session.expect(220);
    await session.command(`EHLO ${hostname() || 'localhost'}`, 250);
    if (url.username) {
      const auth = Buffer.from(
        `\0${decodeURIComponent(url.username)}\0${decodeURIComponent(url.password)}`,
      ).toString('base64');
      await session.command(`AUTH PLAIN ${auth}`, 235);
    }
    await session.command(`MAIL FROM:<${from}>`, 250);
    await session.command(`RCPT TO:<${to}>`, 250, 251);
    await session.command('DATA', 354);
    await session.command(`${formatMessage(mail)}\r\n.`, 250);
    await session.command('QUIT', 221).catch(() => undefined); // the message is already accepted
  } finally {
    session.close();
  }
}

/** RFC 5322 message with a base64 UTF-8 body (safe without 8BITMIME) and dot-stuffing. */
export function formatMessage(mail: Mail): string {
  const encodeWord = (text: string) =>
    /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${Buffer.from(text).toString('base64')}?=`;
  const headers = [
    `From: ${mail.from.replace(/[\r\n]/g, ' ')}`,
    `To: ${mailbox(mail.to)}`,
    `Subject: ${encodeWord(mail.subject.replace(/[\r\n]/g, ' '))}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <${randomUUID()}@${mailbox(mail.from).split('@')[1] ?? 'localhost'}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
  ];
  const body = (
    Buffer.from(mail.text, 'utf8')
      .toString('base64')
      .match(/.{1,76}/g) ?? []
  ).join('\r\n');
  // base64 never starts a line with '.', so no dot-stuffing is needed for the body.
  return `${headers.join('\r\n')}\r\n\r\n${body}`;
}

class SmtpSession {
  private buffer = '';
  private readonly replies: Array<{ code: number; text: string }> = [];
  private waiter: (() => void) | undefined;
  private failure: Error | undefined;

  private constructor(
    private readonly socket: net.Socket,
    timeoutMs: number,
  ) {
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () => this.fail(new SmtpError(`SMTP server silent for ${timeoutMs} ms`)));
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new SmtpError('SMTP connection closed')));
  }

  static open(url: URL, timeoutMs: number): Promise<SmtpSession> {
    const secure = url.protocol === 'smtps:';
    const port = Number(url.port || (secure ? 465 : 25));
    const host = url.hostname.replace(/^\[|\]$/g, '');
    return new Promise((resolve, reject) => {
      const socket = secure ? tls.connect({ host, port, servername: host }) : net.connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new SmtpError(`could not connect to ${host}:${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once(secure ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        resolve(new SmtpSession(socket, timeoutMs));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  async command(line: string, ...accepted: number[]): Promise<void> {
    this.socket.write(`${line}\r\n`);
    await this.expect(...accepted);
  }

  async expect(...accepted: number[]): Promise<void> {
    const reply = await this.nextReply();
    if (!accepted.includes(reply.code))
      throw new SmtpError(`SMTP server answered ${reply.code} ${reply.text}`);
  }

  close() {
    this.socket.destroy();
  }

  private nextReply(): Promise<{ code: number; text: string }> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const reply = this.replies.shift();
        if (reply) return resolve(reply);
        if (this.failure) return reject(this.failure);
        this.waiter = check;
      };
      check();
    });
  }

  /** A reply is complete on a line `NNN text` (continuation lines are `NNN-text`). */
  private onData(chunk: string) {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, end).replace(/\r$/, '');
      this.buffer = this.buffer.slice(end + 1);
      const match = /^(\d{3})([ -])(.*)$/.exec(line);
      if (match && match[2] === ' ') this.replies.push({ code: Number(match[1]), text: match[3]! });
    }
    this.wake();
  }

  private fail(error: Error) {
    this.failure ??= error;
    this.wake();
  }

  private wake() {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}
