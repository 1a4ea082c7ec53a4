// The side services a go-plugin host talks to besides the provider itself: health (service "plugin"),
// the controller whose Shutdown ends the process, the stdio stream and the connection broker. The last two
// carry nothing for a Terraform provider; the server holds their streams open until shutdown so the host
// sees a clean EOF instead of logging errors.

import { HOLD_OPEN, type ServiceImplementation } from './grpc-server.js'

export interface GoPluginServices {
  health: ServiceImplementation
  controller: ServiceImplementation
  stdio: ServiceImplementation
  broker: ServiceImplementation
}

/** beforeShutdownReply runs before Shutdown is answered: go-plugin closes its connection as soon as it has
 * the reply, so streams that should end with a clean EOF must end first. */
export function goPluginServices(onShutdownRequested: () => void, beforeShutdownReply: () => void = () => {}): GoPluginServices {
  return {
    health: { Check: () => ({ status: 'SERVING' }) },
    controller: {
      Shutdown: () => {
        beforeShutdownReply()
        // Answer first, then stop: the host waits for the reply before it waits for the process. The
        // reply is sent when this returns; setImmediate runs after that.
        setImmediate(onShutdownRequested)
        return {}
      },
    },
    stdio: { StreamStdio: HOLD_OPEN },
    broker: { StartStream: HOLD_OPEN },
  }
}
