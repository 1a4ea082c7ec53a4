// stdout is go-plugin's handshake channel: any byte printed before the handshake line breaks the launch
// ("Unrecognized remote plugin message"). Keep a private writer for the handshake and send console output
// to stderr, where go-plugin forwards it to Terraform's log.

import { format } from 'node:util'

export type LineWriter = (line: string) => void

export function guardStdout(): LineWriter {
  const write = process.stdout.write.bind(process.stdout)
  const toStderr = (...args: unknown[]): void => {
    process.stderr.write(`${format(...args)}\n`)
  }
  console.log = toStderr
  console.info = toStderr
  console.debug = toStderr
  console.warn = toStderr
  return (line: string) => {
    write(`${line}\n`)
  }
}
