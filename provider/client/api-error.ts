// An error answer from the openc2c (Sumo Collector Management compatible) API:
// {status, id, code, message, errors?: [{path, message}]} where path is a JSONPath such as
// "$.source.config.apiKey" (schemas/errors.ts).

export interface ApiFieldError {
  path: string
  message: string
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly apiMessage: string,
    readonly requestId: string | undefined,
    readonly fieldErrors: ApiFieldError[],
    readonly request: string,
  ) {
    super(`${request}: ${status} ${code}: ${apiMessage}`)
    this.name = 'ApiError'
  }

  static fromResponse(request: string, status: number, rawBody: string): ApiError {
    let parsed: unknown
    try {
      parsed = rawBody ? JSON.parse(rawBody) : undefined
    } catch {
      parsed = undefined
    }
    if (typeof parsed === 'object' && parsed !== null) {
      const body = parsed as Record<string, unknown>
      const errors = Array.isArray(body.errors)
        ? body.errors
            .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
            .map((e) => ({ path: String(e.path ?? ''), message: String(e.message ?? '') }))
        : []
      return new ApiError(
        status,
        typeof body.code === 'string' ? body.code : `http.${status}`,
        typeof body.message === 'string' ? body.message : rawBody.slice(0, 500),
        typeof body.id === 'string' ? body.id : undefined,
        errors,
        request,
      )
    }
    // Not our JSON (a proxy page, say): keep the start of it, it is what the user needs to see.
    return new ApiError(status, `http.${status}`, rawBody.slice(0, 500) || `HTTP ${status}`, undefined, [], request)
  }
}

/** A request that never got an HTTP answer (refused, reset, DNS, timeout). */
export class ApiUnreachableError extends Error {
  constructor(
    readonly request: string,
    override readonly cause: Error,
  ) {
    super(`${request}: ${cause.message}`)
    this.name = 'ApiUnreachableError'
  }
}

/** The request was abandoned because Terraform asked the provider to stop (StopProvider, i.e. Ctrl-C). */
export class ApiAbortedError extends Error {
  constructor(readonly request: string) {
    super(`${request}: interrupted, Terraform asked the provider to stop`)
    this.name = 'ApiAbortedError'
  }
}
