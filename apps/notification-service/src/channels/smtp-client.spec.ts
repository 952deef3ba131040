import net from 'node:net';
import { formatMessage, mailbox, sendMail, SmtpError } from './smtp-client';

/** A scripted SMTP server that records the commands and the message it received. */
async function fakeSmtpServer(options: { rejectRcpt?: boolean } = {}) {
  const commands: string[] = [];
  let data = '';
  const server = net.createServer((socket) => {
    let inData = false;
    let buffer = '';
    socket.write('220 fake ESMTP\r\n');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      let end: number;
      while ((end = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            socket.write('250 2.0.0 queued\r\n');
          } else data += `${line}\n`;
          continue;
        }
        commands.push(line);
        if (line.startsWith('EHLO')) socket.write('250-fake\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n');
        else if (line.startsWith('AUTH PLAIN')) socket.write('235 2.7.0 ok\r\n');
        else if (line.startsWith('MAIL FROM')) socket.write('250 ok\r\n');
        else if (line.startsWith('RCPT TO'))
          socket.write(options.rejectRcpt ? '550 5.1.1 no such user\r\n' : '250 ok\r\n');
        else if (line === 'DATA') {
          inData = true;
          socket.write('354 go ahead\r\n');
        } else if (line === 'QUIT') socket.end('221 bye\r\n');
        else socket.write('502 unknown\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    commands,
    message: () => data,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe('sendMail', () => {
  it('speaks SMTP with AUTH PLAIN and delivers a base64 UTF-8 body', async () => {
    const server = await fakeSmtpServer();
    try {
      await sendMail(new URL(`smtp://user%40x:p%3Ass@127.0.0.1:${server.port}`), {
        from: 'orderflow <no-reply@orderflow.test>',
        to: 'ada@example.test',
        subject: 'Grüße',
        text: 'Your order is confirmed — 39.98 €',
      });
      expect(server.commands[0]).toMatch(/^EHLO /);
      expect(server.commands.slice(1)).toEqual([
        `AUTH PLAIN ${Buffer.from('\0user@x\0p:ss').toString('base64')}`,
        'MAIL FROM:<no-reply@orderflow.test>',
        'RCPT TO:<ada@example.test>',
        'DATA',
        'QUIT',
      ]);
      const [head, body] = server.message().split('\n\n');
      expect(head).toContain(`Subject: =?UTF-8?B?${Buffer.from('Grüße').toString('base64')}?=`);
      expect(Buffer.from(body!.replace(/\n/g, ''), 'base64').toString('utf8')).toBe(
        'Your order is confirmed — 39.98 €',
      );
    } finally {
      await server.close();
    }
  });

  it('fails when the server refuses the recipient', async () => {
    const server = await fakeSmtpServer({ rejectRcpt: true });
    try {
      await expect(
        sendMail(new URL(`smtp://127.0.0.1:${server.port}`), {
          from: 'a@b.test',
          to: 'nobody@b.test',
          subject: 's',
          text: 't',
        }),
      ).rejects.toThrow(/550/);
    } finally {
      await server.close();
    }
  });

  it('refuses addresses that could inject SMTP commands', async () => {
    await expect(
      sendMail(new URL('smtp://127.0.0.1:1'), {
        from: 'a@b.test',
        to: 'x@y.test>\r\nRCPT TO:<z@y.test',
        subject: 's',
        text: 't',
      }),
    ).rejects.toBeInstanceOf(SmtpError);
  });
});

describe('formatMessage / mailbox', () => {
  it('extracts the address of a display-name mailbox', () => {
    expect(mailbox('Shop <shop@x.test>')).toBe('shop@x.test');
    expect(mailbox(' plain@x.test ')).toBe('plain@x.test');
  });

  it('keeps header lines single', () => {
    const message = formatMessage({
      from: 'a@b.test',
      to: 'c@d.test',
      subject: 'hi\r\nBcc: evil@x.test',
      text: 'x',
    });
    expect(message).not.toMatch(/^Bcc:/m);
  });
});
