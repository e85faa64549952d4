// Where the machine's CPU goes during a benchmark window: /proc/stat for the whole machine, /proc/<pid>/stat per process.
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc times (USER_HZ; 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** The roles whose CPU the benchmark reports, and how to find their processes. */
export interface CpuRoles {
  readonly orchestrator: () => readonly number[];
  readonly workers: () => readonly number[];
  readonly driver: () => readonly number[];
}

interface Snapshot {
  readonly at: number;
  /** Busy ticks of the whole machine (all cores): everything but idle and iowait. */
  readonly machineBusy: number;
  /** CPU ticks of each process of each role, by pid. */
  readonly byRole: Record<string, Map<number, number>>;
}

function machineBusyTicks(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const [, ...fields] = line.trim().split(/\s+/);
  const ticks = fields.map(Number);
  const total = ticks.reduce((sum, t) => sum + t, 0);
  return total - (ticks[3] ?? 0) - (ticks[4] ?? 0);
}

function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return 0; // the process ended
  }
}

function pidsByCommand(name: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Measures CPU between `start()` and `stop()`. */
export class CpuMeter {
  private first: Snapshot | undefined;

  constructor(private readonly roles: CpuRoles) {}

  private snapshot(): Snapshot {
    const sum = (pids: readonly number[]) => new Map(pids.map((pid) => [pid, processTicks(pid)]));
    return {
      at: performance.now(),
      machineBusy: machineBusyTicks(),
      byRole: {
        orchestrator: sum(this.roles.orchestrator()),
        workers: sum(this.roles.workers()),
        postgres: sum(pidsByCommand('postgres')),
        rabbitmq: sum(pidsByCommand('beam.smp')),
        driver: sum(this.roles.driver()),
      },
    };
  }

  start(): void {
    this.first = this.snapshot();
  }

  /**
   * Machine busy milliseconds over the window, and each role's share as percent of one core
   * (a process that ended during the window is left out, so a role may read low).
   */
  stop(): { busyMs: number; seconds: number; cpuPct: Record<string, number>; machinePct: number } {
    const first = this.first;
    if (!first) throw new Error('CpuMeter.stop() before start()');
    const last = this.snapshot();
    const seconds = (last.at - first.at) / 1000;
    const pct = (ticks: number) => Number(((100 * ticks) / TICKS_PER_SECOND / seconds).toFixed(1));
    const cpuPct: Record<string, number> = {};
    for (const [role, pids] of Object.entries(last.byRole)) {
      // A process that started during the window counts from zero; one that ended is left out.
      let ticks = 0;
      for (const [pid, now] of pids) ticks += now - (first.byRole[role]!.get(pid) ?? 0);
      cpuPct[role] = pct(ticks);
    }
    const busyTicks = last.machineBusy - first.machineBusy;
    return { busyMs: (busyTicks * 1000) / TICKS_PER_SECOND, seconds, cpuPct, machinePct: pct(busyTicks) };
  }
}
