// Synchronous notification of every request the in-process fake records. Polling the request log
// would let the service run on for a few milliseconds after the request of interest; hooking the log
// lets a test SIGKILL the service while that very request is still unanswered (the fake records a
// request just before it writes the response), which makes kill points such as "right after the
// previous file's last commit" exact instead of approximate.
import type { FakeCompliance, RecordedRequest } from '../../fakes/chatgpt/index.js'

export type RequestListener = (request: RecordedRequest) => void

const listeners = new WeakMap<readonly RecordedRequest[], Set<RequestListener>>()

/**
 * Calls `listener` for each request recorded from now on, before the fake answers it. The fake's
 * log is one array for the fake's lifetime (its `resetRequests` empties it in place), so wrapping
 * that array's push sees every later entry. Returns the function that stops listening.
 */
export function onRequest(fake: FakeCompliance, listener: RequestListener): () => void {
  const log = fake.requests as RecordedRequest[]
  let set = listeners.get(log)
  if (!set) {
    const registered = new Set<RequestListener>()
    set = registered
    listeners.set(log, registered)
    const push = log.push.bind(log)
    log.push = (...items: RecordedRequest[]) => {
      const length = push(...items)
      for (const item of items) for (const l of registered) l(item)
      return length
    }
  }
  set.add(listener)
  return () => set.delete(listener)
}

/** The upstream event type a request concerns: `event_type` of a listing, the file's type otherwise. */
export function requestEventType(fake: FakeCompliance, request: RecordedRequest): string | undefined {
  if (request.route === 'list') return request.query.find(([k]) => k === 'event_type')?.[1]
  if (request.fileId === undefined) return undefined
  return fake.files(undefined, { includeExpired: true }).find((f) => f.id === request.fileId)?.event_type
}
