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
  /** Context switches of the whole machine so far (`ctxt` of /proc/stat). */
  readonly contextSwitches: number;
  /** CPU ticks of each process of each role, by pid. */
  readonly byRole: Record<string, Map<number, number>>;
  /** Write system calls (`syscw` of /proc/<pid>/io) of each process of each role, by pid. */
  readonly writesByRole: Record<string, Map<number, number>>;
}

function machineBusyTicks(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const [, ...fields] = line.trim().split(/\s+/);
  const ticks = fields.map(Number);
  const total = ticks.reduce((sum, t) => sum + t, 0);
  return total - (ticks[3] ?? 0) - (ticks[4] ?? 0);
}

function contextSwitches(): number {
  const match = /^ctxt (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
  return match ? Number(match[1]) : 0;
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

/** Write-type system calls the process made so far (write, writev, sendmsg…); 0 when unreadable. */
function processWrites(pid: number): number {
  try {
    const match = /^syscw: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
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
    const pids: Record<string, readonly number[]> = {
      orchestrator: this.roles.orchestrator(),
      workers: this.roles.workers(),
      postgres: pidsByCommand('postgres'),
      rabbitmq: pidsByCommand('beam.smp'),
      driver: this.roles.driver(),
    };
    const each = (read: (pid: number) => number) =>
      Object.fromEntries(
        Object.entries(pids).map(([role, list]) => [role, new Map(list.map((pid) => [pid, read(pid)]))]),
      );
    return {
      at: performance.now(),
      machineBusy: machineBusyTicks(),
      contextSwitches: contextSwitches(),
      byRole: each(processTicks),
      writesByRole: each(processWrites),
    };
  }

  start(): void {
    this.first = this.snapshot();
  }

  /**
   * Machine busy milliseconds over the window, and each role's share as percent of one core
   * (a process that ended during the window is left out, so a role may read low).
   */
  stop(): {
    busyMs: number;
    seconds: number;
    cpuPct: Record<string, number>;
    machinePct: number;
    /** Write system calls of each role over the window. */
    writes: Record<string, number>;
    /** Context switches of the whole machine over the window. */
    contextSwitches: number;
  } {
    const first = this.first;
    if (!first) throw new Error('CpuMeter.stop() before start()');
    const last = this.snapshot();
    const seconds = (last.at - first.at) / 1000;
    const pct = (ticks: number) => Number(((100 * ticks) / TICKS_PER_SECOND / seconds).toFixed(1));
    // A process that started during the window counts from zero; one that ended is left out.
    const delta = (before: Map<number, number> | undefined, after: Map<number, number>) => {
      let total = 0;
      for (const [pid, now] of after) total += now - (before?.get(pid) ?? 0);
      return total;
    };
    const cpuPct: Record<string, number> = {};
    for (const [role, pids] of Object.entries(last.byRole))
      cpuPct[role] = pct(delta(first.byRole[role], pids));
    const writes: Record<string, number> = {};
    for (const [role, pids] of Object.entries(last.writesByRole))
      writes[role] = delta(first.writesByRole[role], pids);
    const busyTicks = last.machineBusy - first.machineBusy;
    return {
      busyMs: (busyTicks * 1000) / TICKS_PER_SECOND,
      seconds,
      cpuPct,
      machinePct: pct(busyTicks),
      writes,
      contextSwitches: last.contextSwitches - first.contextSwitches,
    };
  }
}
