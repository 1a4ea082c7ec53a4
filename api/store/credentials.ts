// API credentials (HTTP Basic access id + key). Keys are stored as scrypt hashes. Hashing costs
// ~50 ms by design, so a verified pair is remembered in memory for a while: without that cache
// every request would pay it (the API benchmark measures the difference).
import crypto from 'node:crypto'
import { promisify } from 'node:util'
import type { Kysely } from 'kysely'
import type { Tables } from './tables.js'

const scrypt = promisify(crypto.scrypt) as (password: string, salt: Buffer, keylen: number, options: crypto.ScryptOptions) => Promise<Buffer>
const SCRYPT = { N: 16384, r: 8, p: 1 } as const
const HASH_BYTES = 32

export async function hashAccessKey(accessKey: string): Promise<string> {
  const salt = crypto.randomBytes(16)
  return formatKeyHash(salt, await scrypt(accessKey, salt, HASH_BYTES, SCRYPT))
}

/** The stored form that verifyAccessKey reads: scheme, cost parameters, salt and hash. */
function formatKeyHash(salt: Buffer, hash: Buffer): string {
  return `scrypt.${SCRYPT.N}.${SCRYPT.r}.${SCRYPT.p}.${salt.toString('base64url')}.${hash.toString('base64url')}`
}

export async function verifyAccessKey(accessKey: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('.')
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false
  const expected = Buffer.from(hash, 'base64url')
  const actual = await scrypt(accessKey, Buffer.from(salt, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p) })
  return crypto.timingSafeEqual(actual, expected)
}

export function generateCredentials(): { accessId: string; accessKey: string } {
  return {
    accessId: `oc${crypto.randomBytes(6).toString('hex')}`,
    accessKey: crypto.randomBytes(32).toString('base64url'),
  }
}

/** Makes sure the given pair works: inserts it, or replaces the key of an existing access id. */
export async function ensureCredentials(db: Kysely<Tables>, accessId: string, accessKey: string): Promise<void> {
  const existing = await db.selectFrom('access_keys').select('key_hash').where('access_id', '=', accessId).executeTakeFirst()
  if (existing && (await verifyAccessKey(accessKey, existing.key_hash))) return
  const keyHash = await hashAccessKey(accessKey)
  await db
    .insertInto('access_keys')
    .values({ access_id: accessId, key_hash: keyHash })
    .onConflict((oc) => oc.column('access_id').doUpdateSet({ key_hash: keyHash }))
    .execute()
}

export async function countCredentials(db: Kysely<Tables>): Promise<number> {
  const row = await db.selectFrom('access_keys').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
  return Number(row.n)
}

const CACHE_TTL_MS = 60_000
const CACHE_MAX = 1000

/** A stored-hash lookalike with a random salt and hash: verifying against it costs one scrypt and fails. */
function dummyKeyHash(): string {
  return formatKeyHash(crypto.randomBytes(16), crypto.randomBytes(HASH_BYTES))
}

/** crypto.hash (Node ≥ 20.12) is the one-shot form: about half the cost of a Hash object, on every request. */
const sha256: (text: string) => string =
  typeof crypto.hash === 'function' ? (text) => crypto.hash('sha256', text, 'base64') : (text) => crypto.createHash('sha256').update(text).digest('base64')

export interface CredentialVerifierOptions {
  /** The key check; tests count its calls. */
  verifyKey?: (accessKey: string, stored: string) => Promise<boolean>
}

/**
 * Verifies credentials against the table, remembering successes for a minute under a *token*: a
 * string that encodes exactly one access id and key, such as the base64 text of a Basic header. The
 * HTTP layer then recognises a returning client from the token alone, without decoding it. Tokens
 * are kept as digests, so plaintext keys are never kept in memory longer than a request.
 */
export class CredentialVerifier {
  readonly #verified = new Map<string, { accessId: string; pair: string; until: number }>()
  /** Checks under way, by digest of the id and key they check. */
  readonly #checking = new Map<string, Promise<boolean>>()
  readonly #verifyKey: (accessKey: string, stored: string) => Promise<boolean>
  readonly #dummyHash = dummyKeyHash()

  constructor(
    private readonly db: Kysely<Tables>,
    options: CredentialVerifierOptions = {},
  ) {
    this.#verifyKey = options.verifyKey ?? verifyAccessKey
  }

  /** The access id of the credentials `token` encodes when they were verified within the last minute; answered synchronously. */
  remembered(token: string): string | undefined {
    return this.#live(sha256(token))?.accessId
  }

  /**
   * Checks the key against the stored hash (one scrypt), or answers from memory when `token` was
   * verified for this same id and key within the last minute. `token` should encode exactly this id and
   * key (by default "id:key"; an access id never holds a colon, the Basic header's first colon ends it).
   */
  async verify(accessId: string, accessKey: string, token = `${accessId}:${accessKey}`): Promise<boolean> {
    // A remembered token vouches only for the very pair it was verified with, whatever the caller says it encodes.
    // JSON, not "id:key": unambiguous whatever either part holds, now that it also decides whose check a request may share.
    const pair = sha256(JSON.stringify([accessId, accessKey]))
    const tokenDigest = sha256(token)
    if (this.#live(tokenDigest)?.pair === pair) return true
    // Requests carrying the same pair while it is being checked share that check: a client's burst when its
    // entry has just expired (or before its first answer) would otherwise run one scrypt each, every one
    // holding a thread-pool thread for ~50 ms while the rest of the service waits behind them.
    let check = this.#checking.get(pair)
    if (check === undefined) {
      check = this.#check(accessId, accessKey).finally(() => this.#checking.delete(pair))
      this.#checking.set(pair, check)
    }
    if (!(await check)) return false
    if (this.#verified.size >= CACHE_MAX) this.#verified.clear()
    this.#verified.set(tokenDigest, { accessId, pair, until: Date.now() + CACHE_TTL_MS })
    return true
  }

  /** One lookup and one scrypt; false for an unknown id as for a wrong key. */
  async #check(accessId: string, accessKey: string): Promise<boolean> {
    // Postgres text cannot hold U+0000: such an id names no one, and the query would fail (a 500).
    const row = accessId.includes('\0')
      ? undefined
      : await this.db.selectFrom('access_keys').select('key_hash').where('access_id', '=', accessId).executeTakeFirst()
    // An unknown id pays the same scrypt as a wrong key, so response times don't tell which ids exist.
    const ok = await this.#verifyKey(accessKey, row?.key_hash ?? this.#dummyHash)
    return row !== undefined && ok
  }

  /** The remembered entry under a token digest, while it is less than a minute old. */
  #live(tokenDigest: string): { accessId: string; pair: string } | undefined {
    const entry = this.#verified.get(tokenDigest)
    return entry !== undefined && entry.until > Date.now() ? entry : undefined
  }
}
