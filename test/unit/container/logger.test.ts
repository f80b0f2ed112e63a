import { Writable } from 'node:stream';
import { Client, DatabaseError } from 'pg';
import { createLogger, safeError } from '../../../src/container/logger';

const PASSWORD = 'hunter2-db-password';
const CANCEL_KEY = 918_273_645;

/** A pg client as it looks after connecting: connection parameters and the backend's cancel key. */
function connectedLookingClient(): Client {
  const client = new Client({
    connectionString: `postgresql://inventory:${PASSWORD}@127.0.0.1:5432/inventory`,
    application_name: 'inventory-service',
  });
  Object.assign(client, { processID: 4242, secretKey: CANCEL_KEY, _connected: true });
  return client;
}

/** What node-postgres' pool emits when Postgres restarts under an idle connection (pg-pool idleListener). */
function idleClientError(): DatabaseError {
  const err = new DatabaseError('terminating connection due to administrator command', 116, 'error');
  Object.assign(err, { severity: 'FATAL', code: '57P01', routine: 'ProcessInterrupts' });
  return Object.assign(err, { client: connectedLookingClient() });
}

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger('info', stream), lines };
}

describe('the process logger', () => {
  it('logs a pg pool error in a small line without the client, its password or its cancel key', () => {
    const { logger, lines } = capture();
    logger.warn({ err: idleClientError() }, 'idle Postgres connection failed');
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line).not.toContain(PASSWORD);
    expect(line).not.toContain(String(CANCEL_KEY));
    const entry = JSON.parse(line) as { err: Record<string, unknown>; msg: string };
    // Small: the stack (clipped at 4,000 characters, its length depends on the caller) plus a few
    // hundred bytes, where the client alone is 3-10 KB.
    expect(line.length - String(entry.err.stack).length).toBeLessThan(600);
    expect(entry.msg).toBe('idle Postgres connection failed');
    expect(entry.err).toEqual({
      type: 'DatabaseError',
      message: 'terminating connection due to administrator command',
      code: '57P01',
      severity: 'FATAL',
      routine: 'ProcessInterrupts',
      stack: expect.stringContaining('terminating connection'),
    });
  });

  it('shapes errors under err, error and cause, and an Error passed as the first argument, down their causes', () => {
    const { logger, lines } = capture();
    const wrapped = new Error('reserve failed', { cause: idleClientError() });
    logger.error({ err: wrapped }, 'a');
    logger.error({ error: idleClientError() }, 'b');
    logger.error(idleClientError(), 'c');
    logger.error({ cause: idleClientError() }, 'd');
    expect(lines).toHaveLength(4);
    for (const line of lines) {
      expect(line).not.toContain(PASSWORD);
      expect(line).not.toContain(String(CANCEL_KEY));
      expect(line).not.toContain('"client"');
      expect(line.length).toBeLessThan(5_000);
    }
    expect(JSON.parse(lines[0]!).err.cause).toMatchObject({ type: 'DatabaseError', code: '57P01' });
  });

  it('redacts credentials logged outside an error, e.g. a client or connection options', () => {
    const { logger, lines } = capture();
    logger.info(
      { options: { connectionString: `postgresql://u:${PASSWORD}@h/db`, password: PASSWORD } },
      'x',
    );
    logger.info({ backend: { processID: 4242, secretKey: CANCEL_KEY } }, 'y');
    logger.info({ req: { headers: { authorization: 'Bearer abc.def.ghi' } } }, 'z');
    const text = lines.join('\n');
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(String(CANCEL_KEY));
    expect(text).not.toContain('abc.def.ghi');
    expect(text).toContain('[redacted]');
  });

  it('keeps what diagnoses a failure: system error fields, AggregateError members, non-error values', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
      code: 'ECONNREFUSED',
      errno: -111,
      syscall: 'connect',
      address: '127.0.0.1',
      port: 5432,
    });
    expect(safeError(new AggregateError([refused], 'all attempts failed'))).toMatchObject({
      type: 'AggregateError',
      errors: [{ code: 'ECONNREFUSED', syscall: 'connect', address: '127.0.0.1', port: 5432 }],
    });
    expect(safeError('channel closed')).toBe('channel closed');
    expect(safeError(undefined)).toBe('undefined');
  });
});
