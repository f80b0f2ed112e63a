import { renderDigest, type ScenarioResult } from '../../faults/report';

/** The digest that .ci/run prints last: a failing scenario's violations must survive a log's tail. */

function scenario(over: Partial<ScenarioResult>): ScenarioResult {
  return {
    mode: 'db',
    scenario: 'rabbitmq outage',
    fault: 'RabbitMQ stopped',
    startedAt: '2026-12-02T00:00:00.000Z',
    loadSeconds: 40,
    reserves: 400,
    outcomes: { '201': 390, '409': 10 },
    outcomesBeforeFault: {},
    outcomesDuringFault: {},
    latencyMs: { p50: 6, p99: 40, max: 90 },
    worst503Ms: 0,
    decisions: { confirms: 1, cancels: 1, unpublished: 0 },
    readyAgainSeconds: 2.5,
    worstEndLatenessSeconds: 1,
    events: { distinct: 10, duplicates: 0, missing: 0, phantom: 0 },
    ledgerCheck: 'clean',
    loadAverage: 3.2,
    violationCount: 0,
    violations: [],
    passed: true,
    ...over,
  };
}

const run = (scenarios: ScenarioResult[]) => ({
  startedAt: '2026-12-02T00:00:00.000Z',
  settings: { ratePerSecond: 10, callerTimeoutMs: 5000, endGraceMs: 10000 },
  scenarios,
});

describe('renderDigest', () => {
  it('gives each scenario one verdict line with what callers saw', () => {
    const lines = renderDigest(
      run([scenario({}), scenario({ mode: 'workflow', scenario: 'temporal outage' })]),
    ).split('\n');
    expect(lines).toEqual([
      'ok   db · rabbitmq outage: 400 reserves (390×201 10×409), p99 40 ms, ready again 2.5 s, load avg 3.2',
      'ok   workflow · temporal outage: 400 reserves (390×201 10×409), p99 40 ms, ready again 2.5 s, load avg 3.2',
    ]);
  });

  it("lists a failing scenario's first violations, one line each, and how many more there were", () => {
    const violations = ['order o-1: 503 but reserved', 'no event for the movement 7\nwith detail', 'c', 'd'];
    const text = renderDigest(run([scenario({ passed: false, violationCount: 30, violations })]), 2);
    expect(text.split('\n')).toEqual([
      expect.stringMatching(/^FAIL db · rabbitmq outage: /),
      '       - order o-1: 503 but reserved',
      '       - no event for the movement 7',
      '       (28 more)',
    ]);
  });

  it("shows the slowest answer's caller latency beside the api's own time", () => {
    const slowestAnswers = [
      { outcome: 503 as const, callerMs: 4582, apiMs: 3012 },
      { outcome: 201 as const, callerMs: 3100 },
    ];
    const text = renderDigest(run([scenario({ slowestAnswers })]));
    expect(text).toMatch(/, p99 40 ms \(slowest 503: 4582 ms, api 3012\), ready again /);
    const noApiTime = renderDigest(run([scenario({ slowestAnswers: slowestAnswers.slice(1) })]));
    expect(noApiTime).toMatch(/\(slowest 201: 3100 ms, api \?\)/);
  });

  it('shows the peak load and the stretched graces when a busy machine stretched them', () => {
    const text = renderDigest(run([scenario({ peakLoadAverage: 12.4, graceScale: 3.1 })]));
    expect(text).toMatch(/, load avg 3\.2 \(peak 12\.4: graces ×3\.1\)$/);
  });
});
