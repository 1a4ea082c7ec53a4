// Compares a stored event set with the expected one and describes the difference briefly: a plain
// toEqual on ~100 000 ids would print an unreadable diff and take minutes to render.
export interface SetDifference {
  expected: number
  stored: number
  missingCount: number
  extraCount: number
  /** Up to 10 of each, for the failure message. */
  missing: string[]
  extra: string[]
}

export function compareSets(stored: Set<string>, expected: Set<string>): SetDifference {
  const missing = [...expected].filter((id) => !stored.has(id))
  const extra = [...stored].filter((id) => !expected.has(id))
  return {
    expected: expected.size,
    stored: stored.size,
    missingCount: missing.length,
    extraCount: extra.length,
    missing: missing.slice(0, 10),
    extra: extra.slice(0, 10),
  }
}

/** What compareSets returns when the sets are equal; use with toEqual. */
export function noDifference(size: number): SetDifference {
  return { expected: size, stored: size, missingCount: 0, extraCount: 0, missing: [], extra: [] }
}
