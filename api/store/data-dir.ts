// The data directory holds the embedded database (WAL included), the generated secret key and the
// download spool: compliance events and the sealed credentials that read them. It is private to
// its owner: folders 0700, files 0600, set at creation and checked at every start.
import fs from 'node:fs/promises'
import path from 'node:path'
import { isMainThread } from 'node:worker_threads'
import type { Logger } from 'pino'

export const PRIVATE_DIR_MODE = 0o700
export const PRIVATE_FILE_MODE = 0o600
const GROUP_AND_OTHER = 0o077

/** The data directory cannot be made private, or holds something the service must not touch. */
export class DataDirError extends Error {}

/**
 * Makes the data directory private before anything opens it, repairing what others can read.
 *
 * The process umask becomes 077, as Postgres' own server sets it: PGlite's embedded Postgres creates
 * some files through the umask (its relation cache files came out 0644 under umask 022), and so does
 * every file the runtime writes. It is set only on the main thread (a worker cannot change it).
 */
export async function prepareDataDir(dataDir: string, logger: Logger): Promise<void> {
  if (isMainThread) process.umask(GROUP_AND_OTHER)
  await fs.mkdir(dataDir, { recursive: true, mode: PRIVATE_DIR_MODE })
  const stat = await fs.stat(dataDir)
  if (!stat.isDirectory()) throw new DataDirError(`OPENC2C_DATA_DIR ${dataDir} is not a directory`)
  const uid = process.getuid?.()
  if (uid !== undefined && stat.uid !== uid) {
    throw new DataDirError(
      `OPENC2C_DATA_DIR ${dataDir} belongs to uid ${stat.uid}, not to uid ${uid} that runs openc2c: ` +
        'the service keeps its data private to the user that runs it; chown the directory to that user',
    )
  }
  const repaired = await makeOwnerOnly(dataDir)
  if (repaired.length > 0) {
    logger.warn(
      { dataDir, repaired: repaired.length, examples: repaired.slice(0, 5) },
      `the data directory ${dataDir} was readable by other users; ${repaired.length} of its files and folders are now private to their owner (folders 0700, files 0600)`,
    )
  }
}

/**
 * Removes group and other permissions from a tree: folders become 0700 and files 0600 (a file
 * already stricter keeps its mode). Symbolic links are neither followed nor changed. Returns the
 * paths it changed.
 */
export async function makeOwnerOnly(root: string): Promise<string[]> {
  const repaired: string[] = []
  const visit = async (target: string): Promise<void> => {
    const stat = await fs.lstat(target)
    if (stat.isSymbolicLink()) return
    if (stat.isDirectory()) {
      if ((stat.mode & 0o777) !== PRIVATE_DIR_MODE) {
        await chmod(target, PRIVATE_DIR_MODE)
        repaired.push(target)
      }
      await Promise.all((await fs.readdir(target)).map((name) => visit(path.join(target, name))))
    } else if (stat.mode & GROUP_AND_OTHER) {
      await chmod(target, stat.mode & 0o700 & PRIVATE_FILE_MODE)
      repaired.push(target)
    }
  }
  await visit(root)
  return repaired
}

async function chmod(target: string, mode: number): Promise<void> {
  try {
    await fs.chmod(target, mode)
  } catch (err) {
    throw new DataDirError(`cannot make ${target} private to its owner (${(err as NodeJS.ErrnoException).code}): it must belong to the user that runs openc2c`)
  }
}
