// The reply to a create, the same for every resource: 201 with the new resource's Location and its
// ETag (so a client can update it without reading it first), and the envelope.
import type { FastifyReply } from 'fastify'
import { type EntityKind, etagOf } from './etag.js'

export function sendCreated(reply: FastifyReply, entity: { kind: EntityKind; id: number; version: number; location: string }, body: unknown): FastifyReply {
  return reply.code(201).header('location', entity.location).header('etag', etagOf(entity.kind, entity.id, entity.version)).send(body)
}
