// Terraform (cty) type constraints, in the JSON shape the protocol uses for Schema.Attribute.type:
// a primitive is a string ("string", "number", "bool", "dynamic"), a collection or structure is a
// two-element array such as ["map","string"] or ["object",{"a":"string"}].

export type PrimitiveType = 'string' | 'number' | 'bool'

export type CtyType =
  | PrimitiveType
  | 'dynamic'
  | readonly ['list', CtyType]
  | readonly ['set', CtyType]
  | readonly ['map', CtyType]
  | readonly ['object', Readonly<Record<string, CtyType>>]
  | readonly ['tuple', readonly CtyType[]]

export const setOf = (element: CtyType): CtyType => ['set', element]
export const mapOf = (element: CtyType): CtyType => ['map', element]

/** Compact JSON, as Terraform expects in Schema.Attribute.type and in the dynamic msgpack pair. */
export function typeToJson(type: CtyType): string {
  return JSON.stringify(type)
}

/** Parses and checks a JSON type constraint (used for dynamic values, whose type travels with the value). */
export function parseType(json: unknown): CtyType {
  if (json === 'string' || json === 'number' || json === 'bool' || json === 'dynamic') return json
  if (!Array.isArray(json) || json.length !== 2) throw new TypeError(`not a type constraint: ${JSON.stringify(json)}`)
  const [kind, argument] = json as [unknown, unknown]
  switch (kind) {
    case 'list':
    case 'set':
    case 'map':
      return [kind, parseType(argument)]
    case 'object': {
      if (typeof argument !== 'object' || argument === null || Array.isArray(argument)) {
        throw new TypeError(`object type needs an attribute map: ${JSON.stringify(json)}`)
      }
      const attributes: Record<string, CtyType> = Object.create(null)
      for (const [name, attributeType] of Object.entries(argument)) attributes[name] = parseType(attributeType)
      return ['object', attributes]
    }
    case 'tuple':
      if (!Array.isArray(argument)) throw new TypeError(`tuple type needs an element list: ${JSON.stringify(json)}`)
      return ['tuple', argument.map(parseType)]
    default:
      throw new TypeError(`unknown type kind ${JSON.stringify(kind)}`)
  }
}
