// Resident memory of a process, from /proc/<pid>/status (Linux): VmRSS now, and VmHWM, the peak
// RSS since the process started, which the kernel keeps so no sample can miss a short spike.
import fs from 'node:fs'

export interface ProcessMemory {
  rssMiB: number
  peakRssMiB: number
}

export function processMemory(pid: number): ProcessMemory {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)
    if (!match) throw new Error(`/proc/${pid}/status has no ${field}`)
    return Number(match[1])
  }
  return { rssMiB: kib('VmRSS') / 1024, peakRssMiB: kib('VmHWM') / 1024 }
}
