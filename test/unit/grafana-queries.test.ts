import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dashboardQueries, substituteVariables } from '../support/grafana';

/** The helper test/e2e/dashboards.test.ts runs every panel query with. */
describe('Grafana panel queries', () => {
  it("substitutes Grafana's interval built-ins and the dashboard's variables", () => {
    const dashboard = {
      title: 't',
      templating: {
        list: [
          { name: 'job', current: { value: 'inventory-service' } },
          { name: 'route', current: { value: ['/a', '/b'] } },
          { name: 'queue', options: [{ value: 'q1' }] },
          { name: 'all', current: { value: '$__all' } },
        ],
      },
    };
    expect(
      substituteVariables(
        'rate(x{job="$job",route=~"${route}",q="[[queue]]",i=~"${all:regex}"}[$__rate_interval])',
        dashboard,
      ),
    ).toBe('rate(x{job="inventory-service",route=~"(/a|/b)",q="q1",i=~".*"}[1m])');
    // Unknown names stay, so the query fails loudly rather than silently matching nothing.
    expect(substituteVariables('x{a="$nope"}', dashboard)).toBe('x{a="$nope"}');
  });

  it('walks rows and skips hidden or empty targets', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dash-'));
    writeFileSync(
      join(dir, 'd.json'),
      JSON.stringify({
        title: 'D',
        panels: [
          {
            title: 'top',
            targets: [
              { refId: 'A', expr: 'up' },
              { refId: 'B', expr: 'hidden', hide: true },
            ],
          },
          {
            type: 'row',
            title: 'row',
            panels: [{ title: 'inner', targets: [{ refId: 'A', expr: 'sum(x)' }, {}] }],
          },
        ],
      }),
    );
    expect(dashboardQueries(dir).map((q) => `${q.panel}:${q.expr}`)).toEqual(['top:up', 'inner:sum(x)']);
  });

  it("finds the repository's dashboards", () => {
    expect(dashboardQueries().length).toBeGreaterThan(5);
  });
});
