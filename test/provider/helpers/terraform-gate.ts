// Skips or fails end-to-end test files when the terraform CLI is missing (kept apart from terraform.ts so
// the benchmark can use that without loading vitest).

import { it } from 'vitest'
import { TERRAFORM } from './terraform.js'

/**
 * Call at the top of an end-to-end test file. Without terraform the file's suites skip with a message;
 * with REQUIRE_TERRAFORM=1 (CI) a missing terraform is a failing test instead.
 */
export function terraformGate(suite: string): boolean {
  if (TERRAFORM) return true
  if (process.env.REQUIRE_TERRAFORM === '1') {
    it(`${suite}: terraform CLI is on PATH (REQUIRE_TERRAFORM=1)`, () => {
      throw new Error('REQUIRE_TERRAFORM=1 but no terraform on PATH; install terraform 1.11+ (e.g. /usr/local/bin/terraform)')
    })
  } else {
    console.warn(`[${suite}] skipped: no terraform CLI on PATH (set REQUIRE_TERRAFORM=1 to make this a failure)`)
  }
  return false
}
