import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { devServerEnv, devServerFlags } from './lib/temporalFlags';

/**
 * Validates docker-compose.yml against the official Compose schema (no Docker engine runs here).
 * The schema comes from the compose-spec/compose-go Go module (pinned in temporal/versions.env),
 * fetched through the Go module proxy; COMPOSE_SCHEMA may point at a local copy instead.
 */
const ROOT = join(__dirname, '..');

function schemaPath(): string {
  if (process.env.COMPOSE_SCHEMA) return process.env.COMPOSE_SCHEMA;
  const versions = readFileSync(join(ROOT, 'temporal', 'versions.env'), 'utf8');
  const version = /^COMPOSE_GO_VERSION=(\S+)/m.exec(versions)?.[1];
  if (!version) throw new Error('COMPOSE_GO_VERSION missing from temporal/versions.env');
  const out = execFileSync(
    'go',
    ['mod', 'download', '-json', `github.com/compose-spec/compose-go/v2@${version}`],
    {
      encoding: 'utf8',
    },
  );
  const dir = (JSON.parse(out) as { Dir: string }).Dir;
  return join(dir, 'schema', 'compose-spec.json');
}

function main(): void {
  const path = schemaPath();
  if (!existsSync(path)) throw new Error(`Compose schema not found at ${path}`);
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(JSON.parse(readFileSync(path, 'utf8')) as object);
  const file = process.argv[2] ?? join(ROOT, 'docker-compose.yml');
  // Compose resolves YAML merge keys (<<) before it validates.
  const doc: unknown = parse(readFileSync(file, 'utf8'), { merge: true });
  if (!validate(doc)) {
    for (const e of validate.errors ?? []) console.error(`  ${e.instancePath || '/'} ${e.message ?? ''}`);
    console.error(`${file}: INVALID against the Compose schema`);
    process.exit(1);
  }
  const temporal = (doc as { services?: { temporal?: { command?: unknown; environment?: unknown } } })
    .services?.temporal;
  const command = Array.isArray(temporal?.command) ? temporal.command.map(String) : [];
  const environment = (temporal?.environment ?? {}) as Record<string, unknown>;
  const missing = [
    ...devServerFlags().filter((flag) => !command.includes(flag)),
    ...Object.entries(devServerEnv())
      .filter(([k, v]) => String(environment[k]) !== v)
      .map(([k, v]) => `environment ${k}=${v}`),
  ];
  if (missing.length > 0) {
    console.error(`${file}: the temporal service lacks ${missing.join(' ')} (temporal/*.txt)`);
    process.exit(1);
  }
  const services = Object.keys((doc as { services?: object }).services ?? {});
  console.log(
    `${file}: valid against the Compose schema (${services.length} services: ${services.join(', ')})`,
  );
}

main();
