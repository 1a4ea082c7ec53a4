// Stopping: a signal stops the service cleanly, but never waits forever for a hung run; and the
// test helper's close() stops the whole service (change feed included), as a process stop does.
import { Writable } from 'node:stream'
import pino from 'pino'
import { describe, expect, it, vi } from 'vitest'
import { shutdown } from '../../../api/service.js'
import { startTestService } from '../../helpers/app.js'

function capturingLogger() {
  const lines: any[] = []
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line))
      done()
    },
  })
  return { logger: pino({ level: 'info' }, sink), lines }
}

describe('shutdown on a signal', () => {
  it('exits 0 once the service has stopped', async () => {
    const { logger } = capturingLogger()
    const exit = vi.fn()
    await shutdown({ logger, stop: async () => {} }, 'SIGTERM', { deadlineMs: 60_000, exit })
    expect(exit).toHaveBeenCalledWith(0)
    expect(exit).toHaveBeenCalledTimes(1)
  })

  it('exits 1 with a log line when stopping hangs past the deadline', async () => {
    const { logger, lines } = capturingLogger()
    const exit = vi.fn()
    // A run stuck where no abort reaches it: stop() never settles.
    await shutdown({ logger, stop: () => new Promise<void>(() => {}) }, 'SIGTERM', { deadlineMs: 20, exit })
    expect(exit).toHaveBeenCalledWith(1)
    expect(exit).toHaveBeenCalledTimes(1)
    expect(lines.some((l) => l.level === 50 && /deadline/.test(l.msg))).toBe(true)
  })

  it('exits 1 when stopping fails', async () => {
    const { logger } = capturingLogger()
    const exit = vi.fn()
    await shutdown({ logger, stop: async () => Promise.reject(new Error('boom')) }, 'SIGINT', { deadlineMs: 60_000, exit })
    expect(exit).toHaveBeenCalledWith(1)
  })
})

describe('the test service helper', () => {
  it('close() stops the whole service, not only the HTTP app', async () => {
    const t = await startTestService({ OPENC2C_SCHEDULER: 'on', OPENC2C_SCHEDULER_POLL_MS: '100' })
    const stop = vi.spyOn(t.service, 'stop')
    const schedulerStop = vi.spyOn(t.service.scheduler!, 'stop')
    await t.close()
    expect(stop).toHaveBeenCalledTimes(1)
    expect(schedulerStop).toHaveBeenCalled()
  })
})
