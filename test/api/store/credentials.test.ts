// API credentials: scrypt hashes, and a verifier whose cost does not depend on whether the access id exists.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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
})
