// The raw baselines of `npm run bench:ingest`: download the same files from the fake (the same
// route: API → 307 → signed URL) and stream each body straight into `psql … COPY … FROM STDIN`, into
// a table shaped like `events`. CSV mode with delimiter \x01 and quote \x02 — bytes a JSON line
// never holds (JSON escapes control characters) — so each line loads verbatim as one value. One
// psql and one transaction per file. No checksum check, no parsing in Node.
import { spawn } from 'node:child_process'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import pg from 'pg'
import type { FakeCompliance, LogFileInfo } from '../../test/fakes/chatgpt/index.js'

/**
 * generated:  event_id, type and timestamp are generated columns, each computed from `raw::jsonb`
 *             (three parses per row; the baseline the goal is measured against)
 * one-parse:  the same columns filled by a BEFORE INSERT trigger that parses the line once
 * raw:        only the raw text (no extraction; an upper bound of what COPY can do)
 */
export type BaselineVariant = 'generated' | 'one-parse' | 'raw'

export const BASELINE_LABELS: Record<BaselineVariant, string> = {
  generated: 'download + psql COPY, generated columns (baseline)',
  'one-parse': 'download + psql COPY, one-parse trigger',
  raw: 'download + psql COPY, raw text only',
}

// Same columns, primary key and indexes as `events` (migrations 0002 and 0004); file_id and
// metadata_id are constants here.
const COMMON = `
  source_id bigint not null default 1,
  seq bigint generated always as identity,
  received_at timestamptz not null default now(),
  file_id text not null default '',
  metadata_id bigint not null default 1,
  raw text not null`
const INDEXES = `
  create index events_baseline_source_seq on events_baseline (source_id, seq);
  create index events_baseline_metadata on events_baseline (metadata_id);
  create index events_baseline_received_at on events_baseline (received_at);`

const TABLES: Record<BaselineVariant, string> = {
  generated: `
    create function bench_timestamp(text) returns timestamptz language sql immutable parallel safe
      as $$ select $1::timestamptz $$;
    create table events_baseline (${COMMON},
      event_id text not null generated always as ((raw::jsonb) ->> 'event_id') stored,
      event_type text not null generated always as ((raw::jsonb) ->> 'type') stored,
      occurred_at timestamptz not null generated always as (bench_timestamp((raw::jsonb) ->> 'timestamp')) stored,
      primary key (source_id, event_id));
    ${INDEXES}`,
  'one-parse': `
    create table events_baseline (${COMMON},
      event_id text not null, event_type text not null, occurred_at timestamptz not null,
      primary key (source_id, event_id));
    ${INDEXES}
    create function bench_extract() returns trigger language plpgsql as $$
      declare line jsonb := new.raw::jsonb;
      begin
        new.event_id := line ->> 'event_id';
        new.event_type := line ->> 'type';
        new.occurred_at := (line ->> 'timestamp')::timestamptz;
        return new;
      end $$;
    create trigger bench_extract before insert on events_baseline for each row execute function bench_extract();`,
  raw: `
    create table events_baseline (${COMMON}, primary key (source_id, seq));
    create index events_baseline_source_seq on events_baseline (source_id, seq);`,
}

const COPY = `copy events_baseline (raw) from stdin with (format csv, delimiter E'\\x01', quote E'\\x02')`

export interface BaselineResult {
  seconds: number
  events: number
}

/** Creates a fresh database on `serverUrl`, loads every file, counts the rows, drops the database. */
export async function runCopyBaseline(
  variant: BaselineVariant,
  fake: FakeCompliance,
  files: LogFileInfo[],
  serverUrl: string,
  onProgress: (filesDone: number) => void,
): Promise<BaselineResult> {
  const name = `openc2c_bench_copy_${Date.now().toString(36)}`
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  await admin.query(`create database ${name}`)
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  const client = new pg.Client({ connectionString: url.toString() })
  try {
    await client.connect()
    await client.query(TABLES[variant])
    const started = process.hrtime.bigint()
    for (const [i, file] of files.entries()) {
      await copyOneFile(fake, file, url.toString())
      onProgress(i + 1)
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    const events = Number((await client.query('select count(*) as n from events_baseline')).rows[0].n)
    return { seconds, events }
  } finally {
    await client.end().catch(() => {})
    await admin.query(`drop database if exists ${name} with (force)`)
    await admin.end()
  }
}

async function copyOneFile(fake: FakeCompliance, file: LogFileInfo, databaseUrl: string): Promise<void> {
  const redirect = await fetch(`${fake.baseUrl}/compliance/workspaces/${fake.workspaceId}/logs/${file.id}`, {
    headers: { authorization: `Bearer ${fake.apiKey}` },
    redirect: 'manual',
  })
  const location = redirect.headers.get('location')
  if (redirect.status !== 307 || !location) throw new Error(`download of ${file.id}: ${redirect.status}`)
  const body = await fetch(location)
  if (body.status !== 200 || !body.body) throw new Error(`signed download of ${file.id}: ${body.status}`)
  const psql = spawn('psql', [databaseUrl, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', COPY], { stdio: ['pipe', 'ignore', 'pipe'] })
  let stderr = ''
  psql.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => psql.once('exit', resolve))
  await pipeline(Readable.fromWeb(body.body as never), psql.stdin)
  const code = await exited
  if (code !== 0) throw new Error(`psql COPY of ${file.id} exited with ${code}: ${stderr}`)
}
