import { readdirSync, readFileSync } from 'node:fs';

/**
 * Who used the CPU, from /proc (Linux; every figure is 0 elsewhere). Groups: the bench's service
 * processes (by pid), the Temporal dev server, the Postgres backends serving the bench's own databases,
 * Postgres's shared background processes (WAL writer, checkpointer, ...), this process, and the whole
 * machine (from /proc/stat) so that what nobody here used shows as "other": the servers are shared with
 * other users, and their share cannot be split.
 */
export interface CpuReading {
  at: number;
  /** CPU ms so far, per group. */
  ms: Record<string, number>;
}

const USER_HZ_MS = 10; // USER_HZ is 100 on Linux
const TEMPORAL_SERVER = /temporal server start-dev/;
const POSTGRES = /^postgres|\/postgres /;
/** A backend's title: `postgres: 15/main: user database host(port) state`. */
const BACKEND = /^postgres: (?:\S+: )?\S+ (\S+) \S+\(\d+\)/;

function ticks(pid: string | number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function machineBusyMs(): number {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
    return (cpu.reduce((a, b) => a + b, 0) - idle) * USER_HZ_MS;
  } catch {
    return 0;
  }
}

export class CpuProbe {
  /** Service processes by label (e.g. `api:db`). */
  private readonly services = new Map<string, number>();

  /** `temporalPid`: the bench's own dev server; without it every dev server on the machine counts. */
  constructor(
    private readonly databases: readonly string[],
    private readonly temporalPid?: number,
  ) {}

  watchService(label: string, pid: number): void {
    this.services.set(label, pid);
  }

  read(): CpuReading {
    const ms: Record<string, number> = { temporal: 0, 'postgres:bench': 0, 'postgres:shared': 0 };
    for (const [label, pid] of this.services) {
      try {
        ms[label] = ticks(pid) * USER_HZ_MS;
      } catch {
        ms[label] = 0;
      }
    }
    let pids: string[] = [];
    try {
      pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
    } catch {
      // Not Linux: only this process's own figure.
    }
    for (const pid of pids) {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
        if (TEMPORAL_SERVER.test(cmd)) {
          if (this.temporalPid === undefined || Number(pid) === this.temporalPid)
            ms.temporal! += ticks(pid) * USER_HZ_MS;
        } else if (POSTGRES.test(cmd)) {
          const backend = BACKEND.exec(cmd);
          if (!backend) ms['postgres:shared']! += ticks(pid) * USER_HZ_MS;
          else if (this.databases.includes(backend[1]!)) ms['postgres:bench']! += ticks(pid) * USER_HZ_MS;
        }
      } catch {
        // The process ended meanwhile.
      }
    }
    const self = process.cpuUsage();
    ms.bench = (self.user + self.system) / 1000;
    ms.machine = machineBusyMs();
    return { at: performance.now(), ms };
  }
}

/** CPU ms per group between two readings, plus `other` (the machine's busy time nobody here used). */
export function cpuBetween(a: CpuReading, b: CpuReading): { wallMs: number; ms: Record<string, number> } {
  const ms: Record<string, number> = {};
  let ours = 0;
  for (const key of Object.keys(b.ms)) {
    if (key === 'machine') continue;
    ms[key] = Math.max(0, b.ms[key]! - (a.ms[key] ?? 0));
    ours += ms[key]!;
  }
  // Service processes are the bench's children, so the machine's counter includes them.
  ms.other = Math.max(0, (b.ms.machine ?? 0) - (a.ms.machine ?? 0) - ours);
  return { wallMs: b.at - a.at, ms };
}
