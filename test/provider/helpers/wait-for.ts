// Polls a condition the provider tests cannot await directly (a process appearing or going, a socket
// file, a port closing): resolves once it holds, throws naming `what` after timeoutMs.

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
