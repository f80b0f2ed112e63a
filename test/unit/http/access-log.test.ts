import pino from 'pino';
import { testApp, token } from './fakes';
import { serverTimingMs } from '../../../src/adapters/http/serverTiming';

/** Captures the app's pino lines as objects. */
function capture(level: pino.Level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { logger, lines };
}

describe('access log', () => {
  it('writes one line per request with method, route, status, duration and caller', async () => {
    const { logger, lines } = capture();
    const { app, fake } = testApp({ logger });
    fake.levels.set('SKU-1', { onHand: 5, reserved: 0, safetyStock: 0, reorderQuantity: 0 });
    const res = await app.inject({
      method: 'GET',
      url: '/inventory/SKU-1',
      headers: { authorization: `Bearer ${await token('inventory:read')}` },
    });
    expect(res.statusCode).toBe(200);
    const requestLines = lines.filter((l) => l.reqId === res.headers['x-request-id']);
    expect(requestLines).toHaveLength(1);
    expect(requestLines[0]).toMatchObject({
      msg: 'request completed',
      method: 'GET',
      url: '/inventory/SKU-1',
      route: '/inventory/:sku',
      statusCode: 200,
      principal: 'unit-test',
    });
    expect(typeof requestLines[0]?.responseTimeMs).toBe('number');
    await app.close();
  });

  it('answers with the time spent in the process (Server-Timing), even on an error', async () => {
    const { app } = testApp();
    for (const headers of [{ authorization: `Bearer ${await token('inventory:read')}` }, {}]) {
      const res = await app.inject({ method: 'GET', url: '/inventory/SKU-NONE', headers });
      expect([404, 401]).toContain(res.statusCode);
      const dur = /^app;dur=(\d+(\.\d)?)$/.exec(String(res.headers['server-timing']));
      expect(dur).not.toBeNull();
      expect(Number(dur![1])).toBeGreaterThanOrEqual(0);
      // What the load generators read back.
      expect(serverTimingMs(String(res.headers['server-timing']))).toBe(Number(dur![1]));
    }
    await app.close();
  });

  it('logs refused requests too, without a principal', async () => {
    const { logger, lines } = capture();
    const { app } = testApp({ logger });
    const res = await app.inject({ method: 'GET', url: '/inventory/SKU-1' });
    expect(res.statusCode).toBe(401);
    const line = lines.find((l) => l.msg === 'request completed');
    expect(line).toMatchObject({ statusCode: 401, route: '/inventory/:sku' });
    expect(line).not.toHaveProperty('principal');
    await app.close();
  });

  it('keeps health probes out of the info log but logs them at debug', async () => {
    const info = capture('info');
    const quiet = testApp({ logger: info.logger });
    await quiet.app.inject({ method: 'GET', url: '/health/live' });
    expect(info.lines.filter((l) => l.msg === 'request completed')).toHaveLength(0);
    await quiet.app.close();

    const debug = capture('debug');
    const verbose = testApp({ logger: debug.logger });
    await verbose.app.inject({ method: 'GET', url: '/health/live' });
    expect(debug.lines.filter((l) => l.msg === 'request completed')).toHaveLength(1);
    await verbose.app.close();
  });
});
