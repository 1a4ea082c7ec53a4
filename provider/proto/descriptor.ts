// The protocol descriptor the gRPC server is built from. In development this parses the .proto files next
// to it; provider/packaging/bundle.ts replaces this whole module with the pre-parsed JSON, so the
// bundled provider neither reads files nor runs the .proto parser at start-up.

import type protobuf from 'protobufjs'
import { parseProtocolDefinitions } from './parse-definitions.js'

export function protocolDescriptor(): protobuf.INamespace {
  return parseProtocolDefinitions()
}
