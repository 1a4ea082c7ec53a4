// Start-up steps after migrations: the secret key that seals source secrets, and the API
// credentials, so that a fresh `npm start` is usable without any setup.
import type { Logger } from 'pino'
import type { AppConfig } from './config.js'
import { countCredentials, ensureCredentials, generateCredentials } from './store/credentials.js'
import type { Database } from './store/database.js'
import { SecretBox, loadOrCreateKeyFile, verifySecretKey } from './store/secrets.js'

export class StartupError extends Error {}

export async function prepareSecretBox(config: AppConfig, database: Database, logger: Logger): Promise<SecretBox> {
  let key = config.secretKey
  if (!key) {
    if (database.kind !== 'pglite') throw new StartupError('OPENC2C_SECRET_KEY is required with DATABASE_URL')
    const loaded = await loadOrCreateKeyFile(config.dataDir)
    if (loaded.created) logger.info({ file: `${config.dataDir}/secret.key` }, 'generated a secret key for the embedded database')
    key = loaded.key
  }
  const box = new SecretBox(key)
  try {
    await verifySecretKey(database.db, box)
  } catch (err) {
    throw new StartupError((err as Error).message)
  }
  return box
}

/**
 * OPENC2C_ACCESS_ID/KEY are ensured on every start. Without them, the first start on the embedded
 * database generates a pair, stores its hash and prints it once; a server database shared by
 * replicas must be given credentials explicitly, so there it refuses to start with none stored.
 */
export async function prepareCredentials(config: AppConfig, database: Database, print: (text: string) => void): Promise<void> {
  if (config.bootstrapCredentials) {
    await ensureCredentials(database.db, config.bootstrapCredentials.accessId, config.bootstrapCredentials.accessKey)
    return
  }
  if ((await countCredentials(database.db)) > 0) return
  if (database.kind !== 'pglite') {
    throw new StartupError(
      'no API credentials exist in this database: set OPENC2C_ACCESS_ID and OPENC2C_ACCESS_KEY (they are stored hashed on start)',
    )
  }
  const generated = generateCredentials()
  await ensureCredentials(database.db, generated.accessId, generated.accessKey)
  print(
    [
      '',
      'openc2c generated API credentials for this data directory. They are shown once and stored only as a hash:',
      `  access id:  ${generated.accessId}`,
      `  access key: ${generated.accessKey}`,
      `  e.g. curl -u '${generated.accessId}:${generated.accessKey}' http://HOST:PORT/api/v1/collectors`,
      'Set OPENC2C_ACCESS_ID and OPENC2C_ACCESS_KEY to choose your own.',
      '',
    ].join('\n'),
  )
}
