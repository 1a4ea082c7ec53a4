// `file`: NDJSON of the events API's event objects, into files of a local directory, rotated by size
// and age. Events are appended to a hidden partial file, `.openc2c-<destination>-<opened>.ndjson.partial`,
// fsynced before the cursor moves past them; the committed length is saved with the cursor (the
// kind's state). Rotation renames the partial to its final name, `openc2c-<destination>-<opened>.ndjson`,
// and fsyncs the directory. After a crash, the partial is cut back to its committed length (a batch
// written but not committed is sent again), so a final name only ever holds whole, committed batches,
// and each event is in the files once.
import fs from 'node:fs/promises'
import path from 'node:path'
import { FileConfig } from '../../schemas/destinations/file.js'
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../store/data-dir.js'
import { DeliveryError, type DestinationKind } from './destination-kind.js'
import { eventObjectJson } from './wire.js'

interface FileState {
  /** The partial file's name in the directory, or null when none is open. */
  partial: string | null
  /** Its committed length. */
  bytes: number
  /** When it was opened (ms since the epoch): its age, and its name. */
  openedAt: number
}

export const DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024
export const DEFAULT_MAX_FILE_AGE_SECONDS = 300

export const fileKind: DestinationKind<FileConfig> = {
  type: 'file',
  guarantee: 'exactly once in the closed files: a batch is fsynced before it counts, and a crash cuts the open file back to what counted',
  configSchema: FileConfig,
  secretKeys: [],
  checkConfig: () => [],
  async createSender(config, ctx) {
    const dir = config.directory
    const maxBytes = config.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES
    const maxAgeMs = (config.maxFileAgeSeconds ?? DEFAULT_MAX_FILE_AGE_SECONDS) * 1000
    try {
      await fs.mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE })
    } catch (err) {
      throw new DeliveryError('config', 'file.directory', `cannot create ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
    }
    let state: FileState = { partial: null, bytes: 0, openedAt: 0, ...((ctx.kindState as Partial<FileState> | undefined) ?? {}) }
    let changed = false
    state = await recover(dir, ctx.destinationId, state)

    const finalName = (partial: string) => partial.replace(/^\./, '').replace(/\.partial$/, '')

    const rotate = async (): Promise<void> => {
      if (!state.partial) return
      await fs.rename(path.join(dir, state.partial), path.join(dir, finalName(state.partial)))
      await fsyncDir(dir)
      ctx.logger.info({ file: finalName(state.partial), bytes: state.bytes }, 'closed a delivery file')
      state = { partial: null, bytes: 0, openedAt: 0 }
      changed = true
    }
    const due = () => state.partial !== null && (state.bytes >= maxBytes || Date.now() - state.openedAt >= maxAgeMs)

    return {
      kindState: () => {
        if (!changed) return undefined
        changed = false
        return { ...state }
      },
      async tick() {
        if (!due()) return undefined
        await rotate()
        changed = false
        return { ...state }
      },
      async send(batch) {
        if (due()) await rotate()
        if (!state.partial) {
          const openedAt = Date.now()
          const stamp = new Date(openedAt).toISOString().replace(/[-:]/g, '').replace('.', '')
          state = { partial: `.openc2c-${batch.destinationId}-${stamp}.ndjson.partial`, bytes: 0, openedAt }
        }
        const text = `${batch.events.map((e) => eventObjectJson(e)).join('\n')}\n`
        const file = path.join(dir, state.partial!)
        let handle: fs.FileHandle | undefined
        try {
          const created = state.bytes === 0
          handle = await fs.open(file, 'a', PRIVATE_FILE_MODE)
          await handle.write(text)
          await handle.sync()
          // A new file's name must survive a crash too before anything counts as delivered.
          if (created) await fsyncDir(dir)
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code ?? 'io'
          // A write that failed part way (a full disk) must not leave a torn line for the next attempt
          // to append to: the file goes back to what was written before this batch.
          await fs.truncate(file, state.bytes).catch(() => {})
          // A full disk or a directory gone away is retried; the committed part of the file is kept.
          throw new DeliveryError(code === 'EACCES' || code === 'EROFS' ? 'config' : 'retry', `file.${code}`, `writing ${file}: ${(err as Error).message}`)
        } finally {
          await handle?.close()
        }
        state = { ...state, bytes: state.bytes + Buffer.byteLength(text) }
        changed = true
        return { kind: 'answered' }
      },
    }
  },
}

/**
 * The state after a crash: the partial cut back to its committed length, or, when it is gone and its
 * final name exists, the rotation it was in the middle of taken as done. Another partial of this
 * destination was opened and written to, but the state naming it was never committed: none of its
 * batches counted, they are sent again, so it goes.
 */
async function recover(dir: string, destinationId: number, state: FileState): Promise<FileState> {
  const prefix = `.openc2c-${destinationId}-`
  const orphans = (await fs.readdir(dir)).filter((name) => name.startsWith(prefix) && name.endsWith('.ndjson.partial') && name !== state.partial)
  for (const name of orphans) await fs.rm(path.join(dir, name), { force: true })
  if (orphans.length > 0) await fsyncDir(dir)
  if (!state.partial) return state
  const file = path.join(dir, state.partial)
  const stat = await fs.stat(file).catch(() => undefined)
  if (!stat) return { partial: null, bytes: 0, openedAt: 0 }
  if (stat.size < state.bytes) return { ...state, bytes: stat.size }
  if (stat.size > state.bytes) {
    await fs.truncate(file, state.bytes)
    const handle = await fs.open(file, 'r+')
    await handle.sync().finally(() => handle.close())
  }
  return state
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
