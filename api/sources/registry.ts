// The source types a service knows, by `schemaRef.type`. The built-in list is here; a service may be
// built with more (tests add a second, non-file type this way).
import type { Registry } from 'prom-client'
import { chatGptComplianceSourceType } from './chatgpt-compliance/index.js'
import type { SourceRunner, SourceTypeDefinition } from './source-type.js'

export const builtInSourceTypes: readonly SourceTypeDefinition[] = [chatGptComplianceSourceType as SourceTypeDefinition]

export class SourceTypes {
  readonly #definitions: ReadonlyMap<string, SourceTypeDefinition>
  readonly #runners = new Map<string, SourceRunner>()

  /**
   * @param settings each type's operator settings, as loadConfig read them
   * @param metrics the registry the types' own metrics join
   */
  constructor(definitions: readonly SourceTypeDefinition[], settings: ReadonlyMap<string, unknown>, metrics: Registry) {
    this.#definitions = new Map(definitions.map((t) => [t.type, t]))
    for (const type of definitions) {
      if (!settings.has(type.type)) throw new Error(`no settings were read for source type ${JSON.stringify(type.type)}`)
      this.#runners.set(type.type, type.createRunner(settings.get(type.type), metrics))
    }
  }

  find(type: string): SourceTypeDefinition | undefined {
    return this.#definitions.get(type)
  }

  runner(type: string): SourceRunner | undefined {
    return this.#runners.get(type)
  }

  names(): string[] {
    return [...this.#definitions.keys()]
  }

  all(): SourceTypeDefinition[] {
    return [...this.#definitions.values()]
  }
}
