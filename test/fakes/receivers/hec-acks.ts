// Indexer acknowledgement for the fake HEC: ack ids per channel, counting up from 0, and the plan that
// decides when a poll answers true. Splunk answers false alike for "still indexing", "failed" and
// "unknown id", so the plans below are the ways a sender meets false: for a while, until a time, forever.

export type AckPlan =
  /** True from the first poll: indexed by the time the sender asks. */
  | { kind: 'prompt' }
  /** False until `delayMs` after the ack id was issued. */
  | { kind: 'late'; delayMs: number }
  /** False for the first `polls` polls of this ack id, true after. */
  | { kind: 'false_for'; polls: number }
  /**
   * Never true. `indexed` says whether the events were stored anyway (the ack alone was lost, so a resend
   * duplicates them) or dropped (indexing failed, so only a resend delivers them).
   */
  | { kind: 'lost'; indexed: boolean }

export interface IssuedAck {
  channel: string
  ackId: number
  /** `seq` of the event request that got this ack id. */
  requestSeq: number
  issuedAtMs: number
  plan: AckPlan
  /** How many polls asked about it. */
  polls: number
  /** Whether some poll already answered true. */
  confirmed: boolean
}

export const CHANNEL_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export class AckLedger {
  readonly issued: IssuedAck[] = []
  private readonly plans: Array<{ plan: AckPlan; remaining: number }> = []
  private readonly channels = new Map<string, { nextId: number; acks: Map<number, IssuedAck> }>()

  /** The next `count` ack ids issued (on any channel) follow `plan`. */
  planNext(plan: AckPlan, count: number): void {
    if (!Number.isInteger(count) || count < 1) throw new Error(`count must be a whole number ≥ 1, got ${count}`)
    this.plans.push({ plan, remaining: count })
  }

  /** The plan the next issued ack id will get, without using it. */
  peekPlan(): AckPlan {
    return this.plans[0]?.plan ?? { kind: 'prompt' }
  }

  issue(channel: string, requestSeq: number, nowMs: number): IssuedAck {
    const state = this.channel(channel)
    const ack: IssuedAck = { channel, ackId: state.nextId, requestSeq, issuedAtMs: nowMs, plan: this.takePlan(), polls: 0, confirmed: false }
    state.nextId += 1
    state.acks.set(ack.ackId, ack)
    this.issued.push(ack)
    return ack
  }

  /** Answers one poll: `{ "<id>": true|false }` for each asked id; an id never issued on the channel is false. */
  poll(channel: string, ackIds: number[], nowMs: number): Record<string, boolean> {
    const state = this.channel(channel)
    const answer: Record<string, boolean> = {}
    for (const id of ackIds) {
      const ack = state.acks.get(id)
      if (!ack) {
        answer[String(id)] = false
        continue
      }
      ack.polls += 1
      const done = isDone(ack, nowMs)
      if (done) ack.confirmed = true
      answer[String(id)] = done
    }
    return answer
  }

  /** Forgets the list of issued acks; channels keep counting so ack ids never repeat within a fake. */
  clearRecords(): void {
    this.issued.length = 0
  }

  private takePlan(): AckPlan {
    const next = this.plans[0]
    if (!next) return { kind: 'prompt' }
    next.remaining -= 1
    if (next.remaining <= 0) this.plans.shift()
    return next.plan
  }

  private channel(channel: string): { nextId: number; acks: Map<number, IssuedAck> } {
    let state = this.channels.get(channel)
    if (!state) {
      state = { nextId: 0, acks: new Map() }
      this.channels.set(channel, state)
    }
    return state
  }
}

function isDone(ack: IssuedAck, nowMs: number): boolean {
  switch (ack.plan.kind) {
    case 'prompt':
      return true
    case 'late':
      return nowMs >= ack.issuedAtMs + ack.plan.delayMs
    case 'false_for':
      return ack.polls > ack.plan.polls
    case 'lost':
      return false
  }
}
