// Paging query parameters shared by the list routes. Postgres takes LIMIT and OFFSET as bigint, and
// an integer query value past that range (`?offset=1e22`) would fail in the database, a 500, instead
// of being rejected as bad input. Offsets are capped at the int4 maximum, far beyond any real list.
import { Type } from '@sinclair/typebox'

export const MAX_OFFSET = 2_147_483_647

export const Offset = () => Type.Integer({ minimum: 0, maximum: MAX_OFFSET, default: 0, description: `Items to skip (at most ${MAX_OFFSET})` })

/** `max` is the route's documented page size; anything larger is a 400 naming the parameter. */
export const Limit = (max: number, defaultValue: number) => Type.Integer({ minimum: 1, maximum: max, default: defaultValue })
