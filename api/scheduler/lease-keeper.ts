// Keeps a claimed lease alive while its holder works: renewed at a third of its length, so two
// renewals can fail before another replica may claim it. A renewal that finds the lease gone aborts
// the holder's work with LeaseLostError; a renewal that fails (the database is away) is retried.
import type { Logger } from 'pino'
import { type Claim, LeaseLostError, type Leases } from '../store/leases-repository.js'

export function keepLease(leases: Leases, claim: Claim, leaseMs: number, controller: AbortController, logger: Logger): () => void {
  const renewal = setInterval(() => {
    leases.renew(claim, leaseMs).then(
      (held) => {
        if (!held) controller.abort(new LeaseLostError(claim.id, leases.scope.noun))
      },
      (err) => logger.warn({ err }, 'lease renewal failed; retrying'),
    )
  }, Math.max(100, Math.floor(leaseMs / 3)))
  return () => clearInterval(renewal)
}
