import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import {
  DataSource,
  EntityManager,
  EntitySubscriberInterface,
  QueryRunner,
  TransactionCommitEvent,
  TransactionRollbackEvent,
} from 'typeorm';

/**
 * Defers side effects that must not be seen before the data is durable (a push to clients)
 * until the handler's transaction has committed; drops them if it rolls back.
 */
@Injectable()
export class AfterCommit implements EntitySubscriberInterface, OnModuleInit {
  private readonly logger = new Logger('after-commit');
  private readonly pending = new WeakMap<QueryRunner, Array<() => void>>();

  constructor(private readonly dataSource: DataSource) {}

  onModuleInit() {
    // TypeORM broadcasts transaction events to the data source's subscribers.
    this.dataSource.subscribers.push(this);
  }

  schedule(manager: EntityManager, task: () => void): void {
    const runner = manager.queryRunner;
    if (!runner?.isTransactionActive)
      throw new Error('AfterCommit.schedule needs the manager of an open transaction');
    const tasks = this.pending.get(runner) ?? [];
    tasks.push(task);
    this.pending.set(runner, tasks);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    // A released savepoint also broadcasts a commit; only the outermost one makes data durable.
    if (event.queryRunner.isTransactionActive) return;
    const tasks = this.pending.get(event.queryRunner);
    if (!tasks) return;
    this.pending.delete(event.queryRunner);
    for (const task of tasks) {
      try {
        task();
      } catch (error) {
        this.logger.error(
          `after-commit task failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (!event.queryRunner.isTransactionActive) this.pending.delete(event.queryRunner);
  }
}
