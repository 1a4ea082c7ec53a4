// `"api.version": "v1"` may sit beside the object of a request envelope (Sumo's exported JSON carries
// it). Clients that serialise a struct send null when they have no value: the same as absent. One
// enum, so that a wrong value gets one message ("must be one of: "v1", null").
import { Type } from '@sinclair/typebox'

export const ApiVersion = Type.Unsafe<'v1' | null>({ enum: ['v1', null], description: '"v1"; null or absent means the same' })
