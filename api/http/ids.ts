// Path ids are numbers on the wire. Anything else (text, huge values) cannot name a stored entity,
// so it is answered like an unknown id: 404 with the code clients branch on.
export function parseId(raw: string): number | undefined {
  if (!/^[1-9][0-9]{0,15}$/.test(raw)) return undefined
  const id = Number(raw)
  return Number.isSafeInteger(id) ? id : undefined
}
