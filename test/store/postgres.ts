import pg from 'pg';

/**
 * The PostgreSQL the store tests run against. It is always running where Keel's tests run (CI
 * starts it), so an unreachable server fails the tests loudly instead of skipping them.
 */
const baseUrl = process.env.KEEL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The test database's URL, with Keel's `schema` parameter when given. */
export function postgresUrl(schema?: string): string {
  const url = new URL(baseUrl);
  if (schema) url.searchParams.set('schema', schema);
  return url.toString();
}

export async function requirePostgres(): Promise<void> {
  const client = new pg.Client({ connectionString: baseUrl, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    throw new Error(
      `The PostgreSQL store tests need a server at ${baseUrl} (${(error as Error).message}). ` +
        'Start PostgreSQL (CI does: see .ci/run) or point KEEL_TEST_POSTGRES_URL at one.',
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function dropPostgresSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}
