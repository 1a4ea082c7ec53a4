// The published log files of one workspace, kept sorted the way the listing returns them:
// ascending by end_time, ties broken by id (docs/logs-platform.md §2).

import type { ComplianceEventType } from './event-types.js'
import type { LogFileBody } from './log-file-body.js'
import type { EpochMicros } from './timestamps.js'

/** A file object exactly as `GET …/logs` returns it. */
export interface LogFileObject {
  id: string
  event_type: ComplianceEventType
  end_time: string
  file_name: string
  file_size: number
  file_sha256: string
}

export interface StoredLogFile {
  id: string
  eventType: ComplianceEventType
  endMicros: EpochMicros
  /** `end_time` rendered once (microseconds, `Z`) so listing and `last_end_time` always agree byte for byte. */
  endTime: string
  fileName: string
  body: LogFileBody
  size: number
  /** sha256 of the bytes served. */
  sha256: string
  /** sha256 the listing shows; differs from `sha256` only when the wrong-checksum fault is on for this file. */
  listedSha256: string
  /** Newest event `timestamp` in the body (what max_event_time reports), null when no line carries one. */
  maxEventMicros: EpochMicros | null
  /** Records carrying an event_id, repeats included. */
  eventCount: number
  repeatedEventIds: string[]
  lateEventIds: string[]
  malformedLineCount: number
}

export interface PageQuery {
  types: ReadonlySet<ComplianceEventType>
  afterMicros: EpochMicros
  /** Fault switch: also return files whose end_time equals `after`. */
  inclusiveAfter: boolean
  beforeMicros?: EpochMicros
  /** Files ending before this are past retention and invisible. */
  retainedFromMicros: EpochMicros
  limit: number
}

export class LogFileCatalog {
  private readonly sorted: StoredLogFile[] = []
  private readonly byId = new Map<string, StoredLogFile>()

  add(file: StoredLogFile): void {
    if (this.byId.has(file.id)) throw new Error(`log file id ${file.id} already exists`)
    let lo = 0
    let hi = this.sorted.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (compareFiles(this.sorted[mid] as StoredLogFile, file) <= 0) lo = mid + 1
      else hi = mid
    }
    this.sorted.splice(lo, 0, file)
    this.byId.set(file.id, file)
  }

  get(id: string): StoredLogFile | undefined {
    return this.byId.get(id)
  }

  /** All files in listing order, expired ones included. */
  all(): readonly StoredLogFile[] {
    return this.sorted
  }

  page(query: PageQuery): { files: StoredLogFile[]; hasMore: boolean } {
    const start = this.firstIndexAfter(query.afterMicros, query.inclusiveAfter)
    const files: StoredLogFile[] = []
    for (let i = start; i < this.sorted.length; i++) {
      const file = this.sorted[i] as StoredLogFile
      if (query.beforeMicros !== undefined && file.endMicros >= query.beforeMicros) break
      if (!query.types.has(file.eventType) || file.endMicros < query.retainedFromMicros) continue
      if (files.length === query.limit) return { files, hasMore: true }
      files.push(file)
    }
    return { files, hasMore: false }
  }

  maxEventMicros(type: ComplianceEventType, retainedFromMicros: EpochMicros): EpochMicros | null {
    let max: EpochMicros | null = null
    for (const file of this.sorted) {
      if (file.eventType !== type || file.endMicros < retainedFromMicros || file.maxEventMicros === null) continue
      if (max === null || file.maxEventMicros > max) max = file.maxEventMicros
    }
    return max
  }

  /** Newest end_time of a type, expired files included (new files must not go back in time by default). */
  lastEndMicros(type: ComplianceEventType): EpochMicros | null {
    for (let i = this.sorted.length - 1; i >= 0; i--) {
      const file = this.sorted[i] as StoredLogFile
      if (file.eventType === type) return file.endMicros
    }
    return null
  }

  private firstIndexAfter(after: EpochMicros, inclusive: boolean): number {
    let lo = 0
    let hi = this.sorted.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const end = (this.sorted[mid] as StoredLogFile).endMicros
      if (end < after || (!inclusive && end === after)) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

export function toLogFileObject(file: StoredLogFile): LogFileObject {
  return {
    id: file.id,
    event_type: file.eventType,
    end_time: file.endTime,
    file_name: file.fileName,
    file_size: file.size,
    file_sha256: file.listedSha256,
  }
}

function compareFiles(a: StoredLogFile, b: StoredLogFile): number {
  if (a.endMicros !== b.endMicros) return a.endMicros < b.endMicros ? -1 : 1
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}
