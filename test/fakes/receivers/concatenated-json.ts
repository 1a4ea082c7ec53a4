// Splitting a body of JSON objects written back to back (`{…}{…}` or `{…}\n{…}`), as HEC's event endpoint
// takes a batch. Only the object boundaries are found here; each piece is JSON.parse'd by the caller, so a
// broken object is reported at its own position.

export interface SplitObjects {
  /** The text of each complete top-level object, in order. */
  objects: string[]
  /** Set when the text holds something other than objects and whitespace: the position of that item. */
  badItemIndex?: number
}

export function splitConcatenatedObjects(text: string): SplitObjects {
  const objects: string[] = []
  let i = 0
  const n = text.length
  while (i < n) {
    const c = text.charCodeAt(i)
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      i += 1
      continue
    }
    if (c !== 0x7b /* { */) return { objects, badItemIndex: objects.length }
    const end = objectEnd(text, i)
    if (end < 0) return { objects, badItemIndex: objects.length }
    objects.push(text.slice(i, end))
    i = end
  }
  return { objects }
}

/** Index just past the object opening at `start`, or -1 when it never closes. */
function objectEnd(text: string, start: number): number {
  let depth = 0
  let inString = false
  for (let j = start; j < text.length; j++) {
    const c = text.charCodeAt(j)
    if (inString) {
      if (c === 0x5c /* \ */) j += 1
      else if (c === 0x22 /* " */) inString = false
      continue
    }
    if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) depth += 1
    else if (c === 0x7d || c === 0x5d) {
      depth -= 1
      if (depth === 0) return j + 1
    }
  }
  return -1
}
