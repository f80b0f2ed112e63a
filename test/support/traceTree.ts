import type { ExportedSpan } from './otlpSink';

export type SpanKindName = 'internal' | 'server' | 'client' | 'producer' | 'consumer' | 'unspecified';

/** A span as the trace assertions see it, whether it came from an OTLP export or Jaeger's query API. */
export interface TraceSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span (or one whose parent is outside the trace). */
  parentSpanId: string;
  name: string;
  kind: SpanKindName;
  service: string;
  attributes: Record<string, unknown>;
}

const OTLP_KINDS: Record<number, SpanKindName> = {
  1: 'internal',
  2: 'server',
  3: 'client',
  4: 'producer',
  5: 'consumer',
};

export function fromOtlp(span: ExportedSpan): TraceSpan {
  return { ...span, kind: OTLP_KINDS[span.kind] ?? 'unspecified' };
}

interface JaegerTag {
  key: string;
  value: unknown;
}
export interface JaegerTrace {
  traceID: string;
  spans: {
    traceID: string;
    spanID: string;
    operationName: string;
    references?: { refType: string; traceID: string; spanID: string }[];
    tags?: JaegerTag[];
    processID: string;
  }[];
  processes: Record<string, { serviceName: string; tags?: JaegerTag[] }>;
}

/** Jaeger's /api/traces JSON: the parent is the CHILD_OF reference, the kind the `span.kind` tag. */
export function fromJaeger(trace: JaegerTrace): TraceSpan[] {
  return trace.spans.map((s) => {
    const attributes = Object.fromEntries((s.tags ?? []).map((t) => [t.key, t.value]));
    const parent = (s.references ?? []).find((r) => r.refType === 'CHILD_OF');
    return {
      traceId: s.traceID,
      spanId: s.spanID,
      parentSpanId: parent?.spanID ?? '',
      name: s.operationName,
      kind: (attributes['span.kind'] as SpanKindName | undefined) ?? 'internal',
      service: trace.processes[s.processID]?.serviceName ?? '',
      attributes,
    };
  });
}

export type SpanMatcher = {
  spanId?: string;
  /** Exact name, or a pattern. */
  name?: string | RegExp;
  kind?: SpanKindName;
  service?: string;
  attributes?: Record<string, unknown>;
  /** Anything else. */
  where?: (span: TraceSpan) => boolean;
};

function matches(span: TraceSpan, m: SpanMatcher): boolean {
  if (m.spanId && span.spanId !== m.spanId) return false;
  if (typeof m.name === 'string' && span.name !== m.name) return false;
  if (m.name instanceof RegExp && !m.name.test(span.name)) return false;
  if (m.kind && span.kind !== m.kind) return false;
  if (m.service && span.service !== m.service) return false;
  for (const [k, v] of Object.entries(m.attributes ?? {})) if (span.attributes[k] !== v) return false;
  return m.where ? m.where(span) : true;
}

function describe(m: SpanMatcher): string {
  const parts = [
    m.spanId ? `id ${m.spanId}` : '',
    m.name ? `name ${String(m.name)}` : '',
    m.kind ? `kind ${m.kind}` : '',
    m.service ? `service ${m.service}` : '',
    m.attributes ? `attributes ${JSON.stringify(m.attributes)}` : '',
    m.where ? 'and a condition' : '',
  ];
  return parts.filter(Boolean).join(', ');
}

/** One trace's spans with parent/child navigation, for assertions that print the tree when they fail. */
export class TraceTree {
  private readonly byId: Map<string, TraceSpan>;

  constructor(readonly spans: readonly TraceSpan[]) {
    this.byId = new Map(spans.map((s) => [s.spanId, s]));
  }

  get(spanId: string): TraceSpan | undefined {
    return this.byId.get(spanId);
  }

  all(m: SpanMatcher, under?: TraceSpan): TraceSpan[] {
    return this.spans.filter((s) => matches(s, m) && (!under || this.isDescendant(s, under)));
  }

  /** The first span that matches (under `under` when given), or undefined. */
  find(m: SpanMatcher, under?: TraceSpan): TraceSpan | undefined {
    return this.all(m, under)[0];
  }

  /** Like find, but throws with the whole tree when nothing matches. */
  expect(m: SpanMatcher, under?: TraceSpan): TraceSpan {
    const span = this.find(m, under);
    if (!span) {
      const where = under ? ` under "${under.name}" (${under.spanId})` : '';
      throw new Error(`no span with ${describe(m)}${where} in the trace:\n${this.render()}`);
    }
    return span;
  }

  /** Parent first, up to the root; stops at a parent that is not in the trace. */
  ancestors(span: TraceSpan): TraceSpan[] {
    const chain: TraceSpan[] = [];
    const seen = new Set<string>();
    let current = this.byId.get(span.parentSpanId);
    while (current && !seen.has(current.spanId)) {
      seen.add(current.spanId);
      chain.push(current);
      current = this.byId.get(current.parentSpanId);
    }
    return chain;
  }

  isDescendant(span: TraceSpan, ancestor: TraceSpan): boolean {
    return this.ancestors(span).some((a) => a.spanId === ancestor.spanId);
  }

  /** Spans without a parent in the trace. */
  roots(): TraceSpan[] {
    return this.spans.filter((s) => !this.byId.has(s.parentSpanId));
  }

  /** The tree as indented text (kind, service, name), for failure messages. */
  render(): string {
    const children = new Map<string, TraceSpan[]>();
    for (const s of this.spans) {
      const key = this.byId.has(s.parentSpanId) ? s.parentSpanId : '';
      children.set(key, [...(children.get(key) ?? []), s]);
    }
    const lines: string[] = [];
    const walk = (parent: string, depth: number) => {
      for (const s of children.get(parent) ?? []) {
        const orphan = depth === 0 && s.parentSpanId ? ` (parent ${s.parentSpanId} not in trace)` : '';
        lines.push(`${'  '.repeat(depth)}- [${s.kind}] ${s.service}: ${s.name} ${s.spanId}${orphan}`);
        walk(s.spanId, depth + 1);
      }
    };
    walk('', 0);
    return lines.join('\n') || '(no spans)';
  }
}

/** The W3C traceparent header for a trace and parent span (sampled). */
export function traceparent(traceId: string, spanId: string): string {
  return `00-${traceId}-${spanId}-01`;
}

/** { traceId, spanId } of a traceparent header value; throws on anything else. */
export function parseTraceparent(value: unknown): { traceId: string; spanId: string } {
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(String(value));
  if (!m) throw new Error(`not a traceparent: ${String(value)}`);
  return { traceId: m[1]!, spanId: m[2]! };
}
