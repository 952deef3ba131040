import {
  Catch,
  DynamicModule,
  INestApplication,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  RpcExceptionFilter,
} from '@nestjs/common';
import { NestMicroservice } from '@nestjs/microservices';
import { Kafka } from 'kafkajs';
import { Observable, throwError } from 'rxjs';
import { DataSource } from 'typeorm';
import { EventType } from '@orderflow/contracts';
import {
  CommonConfig,
  HealthRegistry,
  operationalOnly,
  SERVICE_CONFIG,
  SERVICE_IDENTITY,
  ServiceIdentity,
} from '@orderflow/service-defaults';
import { KafkaEventTransport, KafkaEventTransportOptions } from './consumer/kafka-event.transport';
import { ensureTopics } from './kafka/ensure-topics';
import { OutboxRelay, OutboxRelayOptions } from './outbox/outbox-relay';
import { OutboxWriter } from './outbox/outbox-writer';

export interface MessagingModuleOptions {
  /** Event types this service records; their topics are created at start-up if missing. */
  produces?: EventType[];
  /** Prefix of every topic name (default: env MESSAGING_TOPIC_PREFIX or none). */
  topicPrefix?: string;
  /**
   * `false` runs no relay in this process (the outbox then waits for another replica), whatever
   * OUTBOX_RELAY says; OUTBOX_RELAY=off does the same per instance.
   */
  relay?: false | Partial<Omit<OutboxRelayOptions, 'kafka' | 'connectionString'>>;
  consumer?: Partial<Omit<KafkaEventTransportOptions, 'kafka' | 'dataSource' | 'outbox' | 'health'>>;
}

const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');

/** Runs the relay for the lifetime of the app; on shutdown, after consumers stopped, flushes it. */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly relay: OutboxRelay | undefined;
  private readonly logger = new Logger('outbox-relay');
  private readonly topics: string[];

  constructor(
    @Inject(MESSAGING_OPTIONS) options: MessagingModuleOptions,
    @Inject(SERVICE_CONFIG) config: CommonConfig,
    outbox: OutboxWriter,
    private readonly kafka: Kafka,
  ) {
    this.topics = (options.produces ?? []).map((type) => outbox.topicOf(type));
    if (options.relay !== false && config.OUTBOX_RELAY !== 'off') {
      this.relay = new OutboxRelay({
        ...options.relay,
        kafka,
        connectionString: config.DATABASE_URL,
        prepare: () => this.ensureTopics(),
      });
    }
  }

  async onApplicationBootstrap() {
    // Best effort here so that consumers of a fresh cluster find the topics; the relay retries.
    await this.ensureTopics().catch((error: Error) =>
      this.logger.warn(`topics not ensured yet: ${error.message}`),
    );
    await this.relay?.start();
  }

  private async ensureTopics(): Promise<void> {
    if (this.topics.length > 0) await ensureTopics(this.kafka, this.topics);
  }

  async onApplicationShutdown() {
    await this.relay?.stop();
  }
}

/** Hands handler errors to the transport unchanged (Nest's default RPC filter masks them). */
@Catch()
export class EventErrorPassthroughFilter implements RpcExceptionFilter {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}

/**
 * Outbox writer, relay and Kafka event transport of one service. Needs `KafkaModule` and the
 * service's `DatabaseModule` (with `MESSAGING_MIGRATIONS`); start consuming with `startMessaging`.
 */
@Module({})
export class MessagingModule {
  static forService(options: MessagingModuleOptions = {}): DynamicModule {
    const topicPrefix = options.topicPrefix ?? process.env.MESSAGING_TOPIC_PREFIX ?? '';
    return {
      module: MessagingModule,
      global: true,
      providers: [
        { provide: MESSAGING_OPTIONS, useValue: { ...options, topicPrefix } },
        {
          provide: OutboxWriter,
          inject: [SERVICE_IDENTITY],
          useFactory: (identity: ServiceIdentity) =>
            new OutboxWriter({ producer: identity.name, topicPrefix }),
        },
        OutboxRelayService,
        {
          provide: KafkaEventTransport,
          inject: [Kafka, DataSource, OutboxWriter, SERVICE_IDENTITY, SERVICE_CONFIG, HealthRegistry],
          useFactory: (
            kafka: Kafka,
            dataSource: DataSource,
            outbox: OutboxWriter,
            identity: ServiceIdentity,
            config: CommonConfig,
            health: HealthRegistry,
          ) =>
            new KafkaEventTransport({
              // A per-run topic prefix (tests, benchmarks) gets its own group too: kafkajs' round-robin
              // assigner would otherwise hand one run's partitions to another run's members.
              group: `${topicPrefix}${identity.name}`,
              sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
              partitionsConsumedConcurrently: config.KAFKA_PARTITIONS_CONCURRENTLY,
              ...options.consumer,
              kafka,
              dataSource,
              outbox,
              topicPrefix,
              health,
            }),
        },
      ],
      exports: [OutboxWriter, OutboxRelayService, KafkaEventTransport],
    };
  }
}

/**
 * Serves the app's `@EventPattern` handlers from Kafka. Call from runService's `configure` hook:
 * it initializes the app first, so handlers only run once every module is ready.
 * A relay-only instance (OUTBOX_RELAY=only) consumes nothing and serves only health and metrics.
 */
export async function startMessaging(app: INestApplication): Promise<void> {
  if (app.get<CommonConfig>(SERVICE_CONFIG).OUTBOX_RELAY === 'only') {
    app.use(operationalOnly('relay-only (OUTBOX_RELAY=only)'));
    await app.init();
    return;
  }
  // Own config (no inheritAppConfig): HTTP guards and filters (auth, problem+json) stay off events.
  // Deferred, so that the filter below is in place when the handlers are wired up at listen().
  const microservice = app.connectMicroservice(
    { strategy: app.get(KafkaEventTransport) },
    { deferInitialization: true },
  ) as NestMicroservice;
  microservice.useGlobalFilters(new EventErrorPassthroughFilter());
  // The app's own init runs the lifecycle hooks; the microservice must not run them a second time.
  microservice.setIsInitHookCalled(true);
  await app.init();
  await app.startAllMicroservices();
}
