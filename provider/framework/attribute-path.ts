// Attribute paths point a diagnostic (or a requires_replace entry) at one attribute or element.

export type PathStep = { readonly attribute: string } | { readonly key: string } | { readonly index: number }
export type AttributePath = readonly PathStep[]

export function attributePath(name: string, ...rest: Array<string | number>): AttributePath {
  return [{ attribute: name }, ...rest.map((step): PathStep => (typeof step === 'number' ? { index: step } : { key: step }))]
}

/** The protocol's AttributePath message (tfplugin6.AttributePath.Step oneof). */
export interface ProtoAttributePath {
  steps: Array<{ attribute_name?: string; element_key_string?: string; element_key_int?: number }>
}

export function toProtoPath(path: AttributePath): ProtoAttributePath {
  return {
    steps: path.map((step) => {
      if ('attribute' in step) return { attribute_name: step.attribute }
      if ('key' in step) return { element_key_string: step.key }
      return { element_key_int: step.index }
    }),
  }
}

export function formatPath(path: AttributePath): string {
  return path.map((step, i) => ('attribute' in step ? (i === 0 ? step.attribute : `.${step.attribute}`) : 'key' in step ? `[${JSON.stringify(step.key)}]` : `[${step.index}]`)).join('')
}
