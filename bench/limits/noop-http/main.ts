// A Nest app with one no-op GET route: the HTTP ceiling of the framework on this machine.
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

@Controller()
class NoopController {
  @Get('noop')
  noop(): { ok: true } {
    return { ok: true };
  }
}

@Module({ controllers: [NoopController] })
class NoopModule {}

async function main() {
  const app = await NestFactory.create(NoopModule, { logger: ['error'] });
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
  process.send?.({ port: (app.getHttpServer().address() as { port: number }).port });
}

void main();
