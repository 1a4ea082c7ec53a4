// Parses our .proto files into a protobufjs JSON descriptor. Runs at build time (the bundle embeds the
// JSON, so the shipped provider reads nothing from disk) and in development/tests via descriptor.ts.

import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import protobuf from 'protobufjs'

export const PROTO_FILES = ['tfplugin6.proto', 'go-plugin.proto', 'health.proto'] as const

export const PROTO_DIRECTORY = fileURLToPath(new URL('.', import.meta.url))

export function parseProtocolDefinitions(directory = PROTO_DIRECTORY): protobuf.INamespace {
  const root = new protobuf.Root()
  for (const file of PROTO_FILES) protobuf.parse(readFileSync(join(directory, file), 'utf8'), root, { keepCase: true })
  root.resolveAll()
  return root.toJSON()
}
