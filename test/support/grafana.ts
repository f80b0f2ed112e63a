import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const DASHBOARDS = join(__dirname, '..', '..', 'observability', 'grafana', 'dashboards');

interface Panel {
  title?: string;
  type?: string;
  panels?: Panel[];
  targets?: { refId?: string; expr?: string; hide?: boolean }[];
}

export interface Dashboard {
  title: string;
  panels?: Panel[];
  templating?: {
    list?: {
      name: string;
      type?: string;
      current?: { value?: string | string[] };
      options?: { value?: string }[];
      query?: string;
    }[];
  };
}

export interface PanelQuery {
  dashboard: string;
  panel: string;
  refId: string;
  expr: string;
}

/**
 * Grafana's variables as a test run has them: the built-in intervals fit a 1 s scrape, a dashboard
 * variable takes its current value (a multi-value one as a regex alternation), or its first option.
 */
export function substituteVariables(expr: string, dashboard: Dashboard): string {
  const builtins: Record<string, string> = {
    __rate_interval: '1m',
    __interval: '5s',
    __interval_ms: '5000',
    __range: '5m',
    __range_s: '300',
    __range_ms: '300000',
    __auto_interval: '5s',
  };
  const values: Record<string, string> = { ...builtins };
  for (const variable of dashboard.templating?.list ?? []) {
    const current = variable.current?.value;
    const value = Array.isArray(current)
      ? current.length === 1
        ? current[0]!
        : `(${current.join('|')})`
      : (current ?? variable.options?.[0]?.value ?? variable.query ?? '');
    values[variable.name] = value === '$__all' ? '.*' : value;
  }
  return expr.replace(/\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)\]\]|\$(\w+)/g, (whole, a, b, c) => {
    const name = (a ?? b ?? c) as string;
    return values[name] ?? whole;
  });
}

/** Every query of every panel (rows included) of the repository's dashboards. */
export function dashboardQueries(dir = DASHBOARDS): PanelQuery[] {
  const queries: PanelQuery[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const dashboard = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Dashboard;
    const walk = (panels: Panel[] = []) => {
      for (const panel of panels) {
        walk(panel.panels);
        for (const target of panel.targets ?? []) {
          if (!target.expr || target.hide) continue;
          queries.push({
            dashboard: `${file} (${dashboard.title})`,
            panel: panel.title ?? '(untitled)',
            refId: target.refId ?? '?',
            expr: substituteVariables(target.expr, dashboard),
          });
        }
      }
    };
    walk(dashboard.panels);
  }
  return queries;
}
