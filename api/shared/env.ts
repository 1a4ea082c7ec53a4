// Reads settings from the environment and collects every problem with the variable's name, so a
// misconfigured deployment is told everything wrong in one start. The service's own settings and
// each source type's operator settings are read through it.

export class EnvReader {
  constructor(
    private readonly env: NodeJS.ProcessEnv,
    /** Problems found so far, each naming its variable. */
    readonly problems: string[] = [],
  ) {}

  /** The variable's value; unset and empty read the same. */
  string(name: string): string | undefined {
    const value = this.env[name]
    return value === undefined || value === '' ? undefined : value
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.string(name)
    if (raw === undefined) return fallback
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`)
      return fallback
    }
    return Number(raw)
  }

  /** An http(s) URL without trailing slashes. */
  httpUrl(name: string, fallback: string): string {
    const url = (this.string(name) ?? fallback).replace(/\/+$/, '')
    if (!/^https?:\/\/[^/\s]+/.test(url)) this.problems.push(`${name} must be an http:// or https:// URL`)
    return url
  }
}
