// Where a ChatGPT Compliance source stands in one event type's file listing (docs/logs-platform.md):
// the store keeps it as this type's opaque position, one per event type (the stream).
//
// `after` is the listing's last_end_time, kept verbatim (microseconds matter). `doneFiles` are the
// files finished at or after `after`: an inclusive listing re-lists them, and files sharing an
// end_time must not be skipped. `inProgress` is the file being stored and how many of its records
// are committed, so a crash resumes at the next record.
import type { LogFile } from './client.js'
import { compareTimestamps, formatTimestamp } from './timestamps.js'

export interface DoneFile {
  id: string
  endTime: string
}

export interface InProgressFile {
  id: string
  endTime: string
  /** Records (lines or concatenated objects) of the file already committed. */
  recordsDone: number
}

export interface Cursor {
  after: string
  doneFiles: DoneFile[]
  inProgress: InProgressFile | null
}

const DAY_MS = 24 * 60 * 60 * 1000

/** The stored position as a cursor; a source's first run starts `lookbackDays` back. */
export function cursorFrom(position: unknown, lookbackDays: number, now = Date.now()): Cursor {
  const p = position as Partial<Cursor> | undefined
  if (p && typeof p.after === 'string') return { after: p.after, doneFiles: p.doneFiles ?? [], inProgress: p.inProgress ?? null }
  return { after: formatTimestamp(new Date(now - lookbackDays * DAY_MS)), doneFiles: [], inProgress: null }
}

/** The cursor part-way through a file: `recordsDone` of its records committed. */
export function inFile(cursor: Cursor, file: LogFile, recordsDone: number): Cursor {
  return { ...cursor, inProgress: { id: file.id, endTime: file.end_time, recordsDone } }
}

/** The cursor after `file` is fully stored. */
export function finishFile(cursor: Cursor, file: LogFile, tiedWithNext: boolean): Cursor {
  const doneFiles = [...cursor.doneFiles, { id: file.id, endTime: file.end_time }]
  const next = { after: cursor.after, doneFiles, inProgress: null }
  if (tiedWithNext || compareTimestamps(file.end_time, cursor.after) <= 0) return next
  return advanceCursor(next, file.end_time)
}

/** Moves `after`, keeping only done files at the new boundary (an inclusive listing re-lists them). */
export function advanceCursor(cursor: Cursor, after: string): Cursor {
  return { after, doneFiles: cursor.doneFiles.filter((f) => compareTimestamps(f.endTime, after) >= 0), inProgress: cursor.inProgress }
}
