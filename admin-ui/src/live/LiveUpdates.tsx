// One event stream per signed-in tab: changes invalidate cached queries; while it is down, pages poll.
import { useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { applyChange, refetchEverything, type LiveChange } from './changes.js';

/** How often pages refetch while the stream is down (or the browser has no EventSource). */
export const FALLBACK_POLL_MS = 5_000;
/** Wait before opening a new stream after the server refused one (EventSource gives up on errors). */
const REOPEN_AFTER_MS = 5_000;

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'unsupported';

interface LiveValue {
  readonly status: LiveStatus;
  readonly fallbackMs: number;
}

const LiveContext = createContext<LiveValue>({ status: 'unsupported', fallbackMs: FALLBACK_POLL_MS });

/** The stream's state, for the header and for {@link usePollInterval}. */
export function useLiveStatus(): LiveStatus {
  return useContext(LiveContext).status;
}

/** A page's polling interval: none while the stream is live, the fallback interval otherwise. */
export function usePollInterval(): number | false {
  const { status, fallbackMs } = useContext(LiveContext);
  return status === 'live' ? false : fallbackMs;
}

/** No stream, polling every `ms` (tests of pages that poll). */
export function PollingOnly({ ms, children }: { ms: number; children: ReactNode }) {
  return (
    <LiveContext.Provider value={{ status: 'unsupported', fallbackMs: ms }}>{children}</LiveContext.Provider>
  );
}

export function LiveUpdates({ children, url = '/api/admin/live' }: { children: ReactNode; url?: string }) {
  const client = useQueryClient();
  const [status, setStatus] = useState<LiveStatus>(() =>
    typeof EventSource === 'undefined' ? 'unsupported' : 'connecting',
  );
  useEffect(() => {
    if (typeof EventSource === 'undefined') return;
    let source: EventSource | undefined;
    let reopen: ReturnType<typeof setTimeout> | undefined;
    /** Set once the stream was down: the next hello that cannot resume means refetching everything. */
    let gap = false;
    const open = () => {
      source = new EventSource(url);
      source.addEventListener('hello', (event) => {
        const { resumed } = JSON.parse((event as MessageEvent<string>).data) as { resumed?: boolean };
        if (gap && !resumed) refetchEverything(client);
        gap = false;
        setStatus('live');
      });
      source.addEventListener('change', (event) => {
        applyChange(client, JSON.parse((event as MessageEvent<string>).data) as LiveChange);
      });
      source.addEventListener('resync', () => refetchEverything(client));
      source.addEventListener('error', () => {
        gap = true;
        setStatus('reconnecting');
        // The browser retries on its own (with Last-Event-ID) unless the server refused the stream.
        if (source?.readyState === EventSource.CLOSED) {
          source.close();
          reopen = setTimeout(open, REOPEN_AFTER_MS);
        }
      });
    };
    open();
    return () => {
      clearTimeout(reopen);
      source?.close();
    };
  }, [client, url]);
  return (
    <LiveContext.Provider value={{ status, fallbackMs: FALLBACK_POLL_MS }}>{children}</LiveContext.Provider>
  );
}

/** The header's note: live, or polling while the stream reconnects. */
export function LiveIndicator() {
  const status = useLiveStatus();
  const seconds = FALLBACK_POLL_MS / 1_000;
  const text =
    status === 'live'
      ? 'Live'
      : status === 'connecting'
        ? 'Connecting…'
        : status === 'unsupported'
          ? `Polling every ${seconds} s`
          : `Reconnecting, polling every ${seconds} s`;
  return (
    <p className={`live-status live-status--${status}`} role="status" aria-live="polite" data-live={status}>
      <span className="live-status__dot" aria-hidden="true" />
      {text}
    </p>
  );
}
