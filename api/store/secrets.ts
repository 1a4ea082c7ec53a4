// Secret values at rest: AES-256-GCM (node:crypto) with a fresh 96-bit nonce per value, so a dump of
// the database holds ciphertext only. Format: `v1.<nonce>.<tag>.<ciphertext>`, each base64url.
import crypto from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import type { Kysely } from 'kysely'
import { PRIVATE_DIR_MODE } from './data-dir.js'
import type { Tables } from './tables.js'

const FORMAT = 'v1'
// Authenticated but not encrypted: binds ciphertexts to this purpose, so a blob from another
// system keyed alike cannot be passed off as ours.
const AAD = Buffer.from('openc2c.secret.v1')

export class SecretBox {
  readonly #key: Buffer

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('the secret key must be 32 bytes')
    this.#key = Buffer.from(key)
  }

  seal(plaintext: string): string {
    const nonce = crypto.randomBytes(12)
    const cipher = crypto.createCipheriv('aes-256-gcm', this.#key, nonce)
    cipher.setAAD(AAD)
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    return [FORMAT, nonce, cipher.getAuthTag(), body].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.')
  }

  open(sealed: string): string {
    const [format, nonce, tag, body] = sealed.split('.')
    if (format !== FORMAT || nonce === undefined || tag === undefined || body === undefined) {
      throw new Error('not a sealed secret')
    }
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.#key, Buffer.from(nonce, 'base64url'))
    decipher.setAAD(AAD)
    decipher.setAuthTag(Buffer.from(tag, 'base64url'))
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8')
  }

  sealJson(value: Record<string, string>): string {
    return this.seal(JSON.stringify(value))
  }

  openJson(sealed: string): Record<string, string> {
    return JSON.parse(this.open(sealed)) as Record<string, string>
  }
}

/**
 * The embedded database keeps its generated key next to the data (mode 0600), so `npm start` needs
 * no setup; a server database requires OPENC2C_SECRET_KEY (config.ts says why).
 */
export async function loadOrCreateKeyFile(dataDir: string): Promise<{ key: Buffer; created: boolean }> {
  const file = path.join(dataDir, 'secret.key')
  try {
    const text = (await fs.readFile(file, 'utf8')).trim()
    const key = Buffer.from(text, 'base64')
    if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key`)
    return { key, created: false }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  await fs.mkdir(dataDir, { recursive: true, mode: PRIVATE_DIR_MODE })
  const key = crypto.randomBytes(32)
  // 'wx' fails if another process created the file meanwhile; then use theirs.
  try {
    await fs.writeFile(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateKeyFile(dataDir)
    throw err
  }
  return { key, created: true }
}

const KEY_CHECK_SETTING = 'secret_key_check'
const KEY_CHECK_PLAINTEXT = 'openc2c secret key check'

/**
 * Stores a sealed marker on first use and opens it on every later start, so a wrong or rotated
 * OPENC2C_SECRET_KEY stops the service at start with a clear message instead of failing every run.
 */
export async function verifySecretKey(db: Kysely<Tables>, box: SecretBox): Promise<void> {
  await db
    .insertInto('settings')
    .values({ key: KEY_CHECK_SETTING, value: box.seal(KEY_CHECK_PLAINTEXT) })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute()
  const row = await db.selectFrom('settings').select('value').where('key', '=', KEY_CHECK_SETTING).executeTakeFirstOrThrow()
  let plaintext: string | undefined
  try {
    plaintext = box.open(row.value)
  } catch {
    plaintext = undefined
  }
  if (plaintext !== KEY_CHECK_PLAINTEXT) {
    throw new Error(
      'OPENC2C_SECRET_KEY does not match the key this database was first used with; ' +
        'stored source secrets could not be decrypted. Start with the original key.',
    )
  }
}
