// A stacked bar chart in SVG: one bar per time bucket, one colour per series; a table copy for screen readers.
import { formatTime } from './format.js';

export interface Series {
  readonly key: string;
  readonly label: string;
  readonly colour: string;
  /** How the legend writes this series' total (a plain number by default). */
  readonly format?: (total: number) => string;
}

export function BarChart<T extends { readonly start: string }>({
  buckets,
  series,
  label,
  height = 140,
}: {
  buckets: readonly T[];
  series: readonly (Series & { readonly key: keyof T & string })[];
  label: string;
  height?: number;
}) {
  const value = (bucket: T, key: string) => Number((bucket as Record<string, unknown>)[key] ?? 0);
  const totals = buckets.map((b) => series.reduce((sum, s) => sum + value(b, s.key), 0));
  const max = Math.max(1, ...totals);
  const width = Math.max(1, buckets.length) * 10;
  const time = (iso: string) =>
    new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={label}
        className="chart__svg"
      >
        {[0.25, 0.5, 0.75].map((f) => (
          <line key={f} x1={0} x2={width} y1={height * f} y2={height * f} className="chart__grid" />
        ))}
        {buckets.map((bucket, i) => {
          let y = height;
          return (
            <g key={bucket.start}>
              <title>{`${formatTime(bucket.start)}: ${series.map((s) => `${s.label} ${value(bucket, s.key)}`).join(', ')}`}</title>
              {series.map((s) => {
                const h = (value(bucket, s.key) / max) * (height - 4);
                y -= h;
                return h > 0 ? (
                  <rect key={s.key} x={i * 10 + 1} y={y} width={8} height={h} fill={s.colour} />
                ) : null;
              })}
            </g>
          );
        })}
      </svg>
      <div className="chart__axis muted small" aria-hidden="true">
        <span>{buckets[0] ? time(buckets[0].start) : ''}</span>
        <span>peak {max} per bucket</span>
        <span>{buckets.at(-1) ? time(buckets.at(-1)!.start) : ''}</span>
      </div>
      <figcaption className="chart__legend">
        {series.map((s) => (
          <span key={s.key} className="legend">
            <span className="legend__swatch" style={{ background: s.colour }} aria-hidden="true" />
            {s.label} {(s.format ?? String)(buckets.reduce((sum, b) => sum + value(b, s.key), 0))}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
