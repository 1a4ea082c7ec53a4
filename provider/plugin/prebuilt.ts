// Answers computed at build time. The schema never changes for one executable, and encoding it is the
// costliest thing the first of Terraform's launches per command does after the handshake (≈10 ms cold:
// schema conversion, then protobufjs generating its encoders). provider/packaging/bundle.ts replaces this
// module with the serialized GetProviderSchema response; running from source, it is computed as usual.

export function prebuiltSchemaResponse(): string | undefined {
  return undefined
}
