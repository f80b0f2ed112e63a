/**
 * OpenAPI links (3.1 §4.8.20) between the operations: what a client can do next with the response
 * in hand. They document the saga's steps and give stateful fuzzing (schemathesis) real SKUs and
 * order ids to follow instead of random ones that only ever meet 404.
 */

interface Link {
  operationRef: string;
  description: string;
  parameters?: Record<string, string>;
  requestBody?: unknown;
}

type Operation = { responses?: Record<string, { links?: Record<string, Link> }> };
type Paths = Record<string, Record<string, Operation>>;

/** operationRef of `method path` in this document (JSON pointer, `/` escaped as `~1`). */
const ref = (method: string, path: string) =>
  `#/paths/${path.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}`;

const getStockLevel = (sku: string): Link => ({
  operationRef: ref('get', '/inventory/{sku}'),
  description: 'The stock level of this SKU',
  parameters: { 'path.sku': sku },
});
const listMovements = (sku: string): Link => ({
  operationRef: ref('get', '/inventory/{sku}/movements'),
  description: "This SKU's movements",
  parameters: { 'path.sku': sku },
});
const getReservation: Link = {
  operationRef: ref('get', '/reservations/{orderId}'),
  description: "The order's reservation",
  parameters: { 'path.orderId': '$response.body#/orderId' },
};

/** After `sku-not-found`: create the SKU, with stock enough for the reserves that follow. */
const createSku = (sku: string): Link => ({
  operationRef: ref('put', '/inventory/{sku}'),
  description: 'Create the unknown SKU',
  parameters: { 'path.sku': sku },
  requestBody: { onHand: 1_000_000 },
});

const LINKS: Record<string, Record<string, Record<string, Link>>> = {
  'get /inventory/{sku}': { '404': { createSku: createSku('$request.path.sku') } },
  'put /inventory/{sku}': {
    '200,201': {
      getStockLevel: getStockLevel('$response.body#/sku'),
      listMovements: listMovements('$response.body#/sku'),
      reserve: {
        operationRef: ref('post', '/inventory/{sku}/reserve'),
        description: 'Reserve units of this SKU',
        parameters: { 'path.sku': '$response.body#/sku' },
      },
      reserveOrder: {
        operationRef: ref('post', '/reservations'),
        description: 'Reserve this SKU as one line of an order',
        requestBody: { lines: [{ sku: '$response.body#/sku', quantity: 1 }] },
      },
      replenish: {
        operationRef: ref('post', '/inventory/{sku}/replenish'),
        description: 'Add received units of this SKU',
        parameters: { 'path.sku': '$response.body#/sku' },
      },
    },
  },
  'post /inventory/{sku}/reserve': {
    '200,201': {
      getReservation,
      getStockLevel: getStockLevel('$request.path.sku'),
      release: {
        operationRef: ref('post', '/inventory/{sku}/release'),
        description: "Release the order's line for this SKU",
        parameters: { 'path.sku': '$request.path.sku' },
        requestBody: { orderId: '$response.body#/orderId' },
      },
      reserveAgain: {
        operationRef: ref('post', '/inventory/{sku}/reserve'),
        description: 'Repeat (200) or change (409) the reserve of this order',
        parameters: { 'path.sku': '$request.path.sku' },
        requestBody: { orderId: '$response.body#/orderId' },
      },
    },
    '404': { createSku: createSku('$request.path.sku') },
  },
  'post /reservations': {
    '200,201': {
      getReservation,
      getStockLevel: getStockLevel('$response.body#/lines/0/sku'),
      release: {
        operationRef: ref('post', '/inventory/{sku}/release'),
        description: "Release the order's first line",
        parameters: { 'path.sku': '$response.body#/lines/0/sku' },
        requestBody: { orderId: '$response.body#/orderId' },
      },
    },
    '404': { createSku: createSku('$response.body#/skus/0') },
  },
  'post /inventory/{sku}/release': {
    '200': { getReservation, getStockLevel: getStockLevel('$request.path.sku') },
  },
  'post /inventory/{sku}/replenish': {
    '200': {
      getStockLevel: getStockLevel('$response.body#/sku'),
      listMovements: listMovements('$response.body#/sku'),
    },
    '404': { createSku: createSku('$request.path.sku') },
  },
};

/** Adds LINKS to the operations and responses the document has; returns the document. */
export function withOpenApiLinks<T extends { paths?: unknown }>(document: T): T {
  const paths = document.paths as Paths | undefined;
  if (!paths) return document;
  for (const [key, byStatus] of Object.entries(LINKS)) {
    const [method, path] = key.split(' ') as [string, string];
    const responses = paths[path]?.[method]?.responses;
    if (!responses) continue;
    for (const [statuses, links] of Object.entries(byStatus)) {
      for (const status of statuses.split(',')) {
        const response = responses[status];
        if (!response) continue;
        // Only links whose target this document has: a pointer to nothing is an invalid document.
        const valid = Object.entries(links).filter(([, link]) => {
          const [, , pointer, targetMethod] = link.operationRef.split('/');
          const targetPath = pointer!.replace(/~1/g, '/').replace(/~0/g, '~');
          return Boolean(paths[targetPath]?.[targetMethod!]);
        });
        response.links = { ...response.links, ...Object.fromEntries(valid) };
      }
    }
  }
  return document;
}
