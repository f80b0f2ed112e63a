import { GenericContainer, Wait } from 'testcontainers';
import { PostgreSqlContainer } from '@testcontainers/postgresql';
import { RabbitMQContainer } from '@testcontainers/rabbitmq';

/**
 * Used only when a Docker engine answers and no URLs are in the environment. The containers live for the
 * whole Jest run (Ryuk reaps them when the run ends).
 */
export async function startContainers() {
  const [pg, rabbit, temporal] = await Promise.all([
    new PostgreSqlContainer('postgres:15-alpine')
      .withUsername('inventory')
      .withPassword('inventory')
      .withDatabase('inventory')
      .start(),
    new RabbitMQContainer('rabbitmq:3.13-management-alpine').start(),
    new GenericContainer('temporalio/temporal:1.5.1')
      .withCommand([
        'server',
        'start-dev',
        '--ip',
        '0.0.0.0',
        '--search-attribute',
        'OrderId=Keyword',
        '--search-attribute',
        'Skus=KeywordList',
        '--search-attribute',
        'ReservationStatus=Keyword',
        '--search-attribute',
        'ReservationExpiresAt=Datetime',
        '--search-attribute',
        'ReplenishmentSku=Keyword',
        '--search-attribute',
        'ReplenishmentStatus=Keyword',
      ])
      .withExposedPorts(7233)
      .withWaitStrategy(Wait.forListeningPorts())
      .start(),
  ]);
  return {
    databaseUrl: pg.getConnectionUri(),
    amqpUrl: rabbit.getAmqpUrl(),
    amqpManagementUrl: `http://guest:guest@${rabbit.getHost()}:${rabbit.getMappedPort(15672)}`,
    temporalAddress: `${temporal.getHost()}:${temporal.getMappedPort(7233)}`,
  };
}
