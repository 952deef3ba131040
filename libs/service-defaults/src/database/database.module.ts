import { DynamicModule, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource, DataSourceOptions } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { SERVICE_CONFIG, SERVICE_IDENTITY } from '../tokens';
import type { CommonConfig, ServiceIdentity } from '../config/service-config';
import { HealthRegistry } from '../health/health.registry';
import { survivePoolConnectionErrors } from './connection-errors';
import { pipelineTransactionBoundaries } from './pipelined-transactions';
import { prepareStatements } from './prepared-statements';
import { runMigrationsExclusively } from './run-migrations';

export interface DatabaseOptions {
  entities: DataSourceOptions['entities'];
  migrations: DataSourceOptions['migrations'];
  /** Connections in the pool; the hot path is short transactions. */
  poolSize?: number;
}

@Injectable()
class DatabaseHealth implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly health: HealthRegistry,
  ) {}

  onModuleInit() {
    this.health.register('database', async () => {
      await this.dataSource.query('select 1');
    });
  }
}

/**
 * The service's own Postgres database: TypeORM over pg, schema only through migrations (run at
 * start-up under an advisory lock so replicas don't race), readiness check on `select 1`.
 */
@Module({})
export class DatabaseModule {
  static forService(options: DatabaseOptions): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [SERVICE_CONFIG, SERVICE_IDENTITY],
          useFactory: (config: CommonConfig, identity: ServiceIdentity) =>
            dataSourceOptions(config, identity, options),
          dataSourceFactory: async (opts) => {
            const dataSource = await new DataSource(opts as DataSourceOptions).initialize();
            configurePool(dataSource);
            await runMigrationsExclusively(dataSource);
            return dataSource;
          },
        }),
      ],
      providers: [DatabaseHealth],
      exports: [TypeOrmModule],
    };
  }
}

/**
 * What every service's pool does on top of pg's: survives a lost connection, prepares its
 * statements, and pipelines transaction boundaries.
 */
export function configurePool(dataSource: DataSource): void {
  const pool = (dataSource.driver as PostgresDriver).master as Pool;
  survivePoolConnectionErrors(pool);
  prepareStatements(pool);
  pipelineTransactionBoundaries(pool);
}

export function dataSourceOptions(
  config: Pick<CommonConfig, 'DATABASE_URL'>,
  identity: Pick<ServiceIdentity, 'name'>,
  options: DatabaseOptions,
): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.DATABASE_URL,
    entities: options.entities,
    migrations: options.migrations,
    migrationsRun: false,
    synchronize: false,
    logging: ['error'],
    applicationName: identity.name,
    poolSize: options.poolSize ?? 10,
    // `pipeline`: a query is written without waiting for the answers before it (see
    // pipelined-transactions.ts); queries that wait for each other's results behave as before.
    extra: { connectionTimeoutMillis: 5_000, idleTimeoutMillis: 30_000, pipeline: true },
  };
}
