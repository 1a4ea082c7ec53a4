// API credentials: scrypt hashes, and a verifier whose cost does not depend on whether the access id exists.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { CredentialVerifier, ensureCredentials, verifyAccessKey } from '../../../api/store/credentials.js'
import { openTestDatabase, type TestDatabase } from '../../helpers/db.js'

let testDatabase: TestDatabase
beforeAll(async () => {
  testDatabase = await openTestDatabase()
  await ensureCredentials(testDatabase.database.db, 'known-id', 'the-right-access-key')
})
afterAll(async () => {
  await testDatabase?.close()
})

/** A verifier whose key checks are counted (each is one scrypt). */
function countingVerifier() {
  const checks: string[] = []
  const verifier = new CredentialVerifier(testDatabase.database.db, {
    verifyKey: async (key, stored) => {
      checks.push(stored)
      return verifyAccessKey(key, stored)
    },
  })
  return { verifier, checks }
}

describe('CredentialVerifier', () => {
  it('runs one scrypt check for an unknown access id, as for a known one with a wrong key', async () => {
    const { verifier, checks } = countingVerifier()
    expect(await verifier.verify('known-id', 'a-wrong-access-key')).toBe(false)
    expect(checks).toHaveLength(1)
    expect(await verifier.verify('unknown-id', 'a-wrong-access-key')).toBe(false)
    expect(checks).toHaveLength(2)
    // The stand-in hash has the stored hashes' shape and cost parameters.
    expect(checks[1]!.split('.').slice(0, 4)).toEqual(checks[0]!.split('.').slice(0, 4))
    // An id that no row can hold (U+0000) is unknown too: same cost, no database error.
    expect(await verifier.verify('nul\u0000id', 'a-wrong-access-key')).toBe(false)
    expect(checks).toHaveLength(3)
  })

  it('accepts the right key, then answers from its cache without another scrypt', async () => {
    const { verifier, checks } = countingVerifier()
    expect(await verifier.verify('known-id', 'the-right-access-key')).toBe(true)
    expect(await verifier.verify('known-id', 'the-right-access-key')).toBe(true)
    expect(checks).toHaveLength(1)
  })
  it('shares one check among concurrent requests with the same id and key, and none across different keys', async () => {
    const { verifier, checks } = countingVerifier()
    const burst = await Promise.all(Array.from({ length: 8 }, () => verifier.verify('known-id', 'the-right-access-key')))
    expect(burst).toEqual(Array(8).fill(true))
    expect(checks).toHaveLength(1)
    const wrong = await Promise.all([verifier.verify('known-id', 'wrong-1'), verifier.verify('known-id', 'wrong-1'), verifier.verify('known-id', 'wrong-2')])
    expect(wrong).toEqual([false, false, false])
    expect(checks).toHaveLength(3)
    // A settled check is not reused: the wrong key is checked again (and counted by the auth limiter again).
    expect(await verifier.verify('known-id', 'wrong-1')).toBe(false)
    expect(checks).toHaveLength(4)
  })

  it('passes a failed check to everyone waiting on it, and checks afresh on the next request', async () => {
    let failing = true
    let calls = 0
    const verifier = new CredentialVerifier(testDatabase.database.db, {
      verifyKey: async (key, stored) => {
        calls++
        if (failing) throw new Error('thread pool gone')
        return verifyAccessKey(key, stored)
      },
    })
    const joined = [verifier.verify('known-id', 'the-right-access-key'), verifier.verify('known-id', 'the-right-access-key')]
    for (const result of await Promise.allSettled(joined)) expect(result).toMatchObject({ status: 'rejected', reason: { message: 'thread pool gone' } })
    expect(calls).toBe(1)
    failing = false
    expect(await verifier.verify('known-id', 'the-right-access-key')).toBe(true)
    expect(calls).toBe(2)
  })

  describe('remembered tokens', () => {
    afterEach(() => vi.useRealTimers())
    const token = Buffer.from('known-id:the-right-access-key').toString('base64')

    it('names the access id of a token verified within the last minute, and nothing for other tokens or after a failure', async () => {
      const { verifier, checks } = countingVerifier()
      expect(verifier.remembered(token)).toBeUndefined()
      const wrong = Buffer.from('known-id:a-wrong-access-key').toString('base64')
      expect(await verifier.verify('known-id', 'a-wrong-access-key', wrong)).toBe(false)
      expect(verifier.remembered(wrong)).toBeUndefined()
      expect(await verifier.verify('known-id', 'the-right-access-key', token)).toBe(true)
      expect(verifier.remembered(token)).toBe('known-id')
      expect(verifier.remembered(`${token}=`)).toBeUndefined()
      // The token vouches for its own pair only: another id or key presented with it is checked afresh.
      expect(await verifier.verify('unknown-id', 'the-right-access-key', token)).toBe(false)
      expect(await verifier.verify('known-id', 'a-wrong-access-key', token)).toBe(false)
      expect(checks).toHaveLength(4)
      expect(await verifier.verify('known-id', 'the-right-access-key', token)).toBe(true)
      expect(checks).toHaveLength(4)
    })

    it('forgets a token a minute after it was verified', async () => {
      vi.useFakeTimers({ toFake: ['Date'] })
      const { verifier, checks } = countingVerifier()
      expect(await verifier.verify('known-id', 'the-right-access-key', token)).toBe(true)
      vi.setSystemTime(Date.now() + 59_000)
      expect(verifier.remembered(token)).toBe('known-id')
      vi.setSystemTime(Date.now() + 2_000)
      expect(verifier.remembered(token)).toBeUndefined()
      expect(await verifier.verify('known-id', 'the-right-access-key', token)).toBe(true)
      expect(checks).toHaveLength(2)
    })
  })
})
