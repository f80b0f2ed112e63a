import { testApp, type TestApp } from './fakes';

interface Link {
  operationRef: string;
  parameters?: Record<string, string>;
  requestBody?: unknown;
}
type Doc = {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { name: string; in: string }[];
        responses: Record<string, { links?: Record<string, Link> }>;
      }
    >
  >;
};

/** Resolves a local operationRef (`#/paths/<escaped path>/<method>`) the way a JSON pointer does. */
function resolve(doc: Doc, ref: string) {
  const match = /^#\/paths\/([^/]+)\/([a-z]+)$/.exec(ref);
  if (!match) return undefined;
  const path = match[1]!.replace(/~1/g, '/').replace(/~0/g, '~');
  return doc.paths[path]?.[match[2]!];
}

/** The links of the OpenAPI document, which stateful fuzzing (npm run test:fuzz) follows. */
describe('OpenAPI links', () => {
  let t: TestApp;
  let doc: Doc;

  beforeAll(async () => {
    t = testApp();
    doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
  });
  afterAll(() => t.app.close());

  const allLinks = () =>
    Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).flatMap(([method, op]) =>
        Object.entries(op.responses).flatMap(([status, response]) =>
          Object.entries(response.links ?? {}).map(([name, link]) => ({
            from: `${method} ${path} ${status}`,
            name,
            link,
            source: op,
          })),
        ),
      ),
    );

  it('every link targets an operation of the document, with parameters that operation has', () => {
    const links = allLinks();
    expect(links.length).toBeGreaterThan(10);
    for (const { from, name, link, source } of links) {
      const target = resolve(doc, link.operationRef);
      if (!target) throw new Error(`${from} link ${name}: ${link.operationRef} resolves to nothing`);
      for (const [key, expression] of Object.entries(link.parameters ?? {})) {
        const [where, param] = key.split('.');
        expect({
          from,
          name,
          param: target.parameters?.some((p) => p.in === where && p.name === param),
        }).toEqual({ from, name, param: true });
        // $request.path.x must name a path parameter of the source operation.
        const requested = /^\$request\.path\.(.+)$/.exec(expression)?.[1];
        if (requested) {
          expect(source.parameters?.some((p) => p.in === 'path' && p.name === requested)).toBe(true);
        }
      }
    }
  });

  it('walks the saga: create a SKU → reserve → the reservation and its release', () => {
    const put = doc.paths['/inventory/{sku}']!.put!.responses;
    for (const status of ['200', '201']) {
      expect(Object.keys(put[status]!.links ?? {})).toEqual(
        expect.arrayContaining(['getStockLevel', 'reserve', 'reserveOrder', 'replenish']),
      );
    }
    const reserved = doc.paths['/inventory/{sku}/reserve']!.post!.responses['201']!.links!;
    expect(reserved.getReservation!.parameters).toEqual({ 'path.orderId': '$response.body#/orderId' });
    expect(reserved.release).toMatchObject({
      parameters: { 'path.sku': '$request.path.sku' },
      requestBody: { orderId: '$response.body#/orderId' },
    });
    // An unknown SKU leads to creating it.
    const notFound = doc.paths['/inventory/{sku}/replenish']!.post!.responses['404']!.links!;
    expect(resolve(doc, notFound.createSku!.operationRef)).toBe(doc.paths['/inventory/{sku}']!.put);
  });
});
